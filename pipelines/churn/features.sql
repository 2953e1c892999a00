-- One row per customer: the customer's own columns, usage over the last six
-- months, and support tickets. Shared by the reference batch (which has the
-- label `churned`, carried along by c.*) and the current batch (which has not).
WITH monthly AS (
  SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY month DESC) AS months_ago
  FROM usage
),
usage_summary AS (
  SELECT
    customer_id,
    count(*) AS active_months,
    avg(minutes) AS avg_minutes,
    avg(data_gb) AS avg_data_gb,
    avg(logins) AS avg_logins,
    -- Logins of the last three months against the three before: falling use comes before leaving.
    avg(logins) FILTER (WHERE months_ago <= 3) / nullif(avg(logins) FILTER (WHERE months_ago > 3), 0) AS login_trend
  FROM monthly
  GROUP BY customer_id
),
ticket_summary AS (
  SELECT
    customer_id,
    count(*) AS tickets,
    count(*) FILTER (WHERE category = 'billing') AS billing_tickets,
    count(*) FILTER (WHERE category = 'technical') AS technical_tickets,
    count(*) FILTER (WHERE resolved_hours IS NULL) AS open_tickets,
    avg(resolved_hours) AS avg_resolution_hours,
    avg(satisfaction) AS avg_satisfaction
  FROM support_tickets
  GROUP BY customer_id
)
SELECT
  c.* EXCLUDE (signup_date, previous_fee),
  round(100 * (c.monthly_fee - c.previous_fee) / c.previous_fee, 2) AS fee_increase_pct,
  u.active_months, u.avg_minutes, u.avg_data_gb, u.avg_logins, u.login_trend,
  coalesce(t.tickets, 0) AS tickets,
  coalesce(t.billing_tickets, 0) AS billing_tickets,
  coalesce(t.technical_tickets, 0) AS technical_tickets,
  coalesce(t.open_tickets, 0) AS open_tickets,
  t.avg_resolution_hours,
  t.avg_satisfaction
FROM customers c
LEFT JOIN usage_summary u USING (customer_id)
LEFT JOIN ticket_summary t USING (customer_id)
ORDER BY c.customer_id
