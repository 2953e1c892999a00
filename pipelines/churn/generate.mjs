#!/usr/bin/env node
// Synthetic customer-churn data for the Sluice demo: customers, six months of
// usage, and support tickets. Whether a customer churns is drawn from a latent
// model in which a monthly contract, a short tenure, low or falling
// engagement, unresolved tickets and a price rise on a cheap plan make people
// leave; the files only show noisy traces of that, so a model can learn much
// but not all of it. Several effects are thresholds or interactions, which
// trees find and a linear model does not.
//
// Plain Node, no dependencies and its own seeded random numbers: the folder
// can be copied anywhere, and the same arguments give byte-identical files.
//
//   node generate.mjs [--rows 20000] [--seed 42] [--batch reference|current] [--drift 0..1] [--out DIR]
//
// --batch reference: customers.csv carries the label `churned`.
// --batch current:   customers scored later; no label in customers.csv, the
//                    truth is in labels.csv (it arrives after the scoring).
// --drift d:         shifts the batch away from the reference population:
//                    younger customers, shorter tenures, more basic plans and
//                    customers in the south, higher fees and more price
//                    rises, fewer minutes and more data; from 0.5 on, a new
//                    region `overseas` appears.
// --out DIR:         where the files go; by default the task's artifacts
//                    folder under `sluice run`, else data/<batch>.
//
// Under `sluice run`, the paths and counts are written to $SLUICE_OUTPUT as
// values: customers, usage, support_tickets, labels (current batch), rows,
// usage_rows, ticket_rows, churn_rate, batch, drift.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const SNAPSHOT = { reference: [2025, 5], current: [2025, 11] }; // [year, 0-based month]: the last month of usage
const FIRST_ID = { reference: 1_000_001, current: 5_000_001 };
const MONTHS = 6;
const PLANS = ['basic', 'standard', 'premium'];
const REGIONS = ['north', 'south', 'east', 'west', 'overseas'];
const CONTRACTS = ['monthly', 'annual', 'two_year'];
const PAYMENTS = ['card', 'bank_transfer', 'paypal', 'invoice'];
const CATEGORIES = ['billing', 'technical', 'account', 'other'];
const BASE_FEE = { basic: 19.99, standard: 34.99, premium: 59.99 };
const DATA_GB = { basic: 3, standard: 8, premium: 20 };

function fail(message) {
  process.stderr.write(`generate.mjs: ${message}\n`);
  process.exit(2);
}

function readOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        rows: { type: 'string', default: '20000' },
        seed: { type: 'string', default: '42' },
        batch: { type: 'string', default: 'reference' },
        drift: { type: 'string', default: '0' },
        out: { type: 'string' },
      },
    }).values;
  } catch (error) {
    fail(`${error.message}\nusage: node generate.mjs [--rows N] [--seed N] [--batch reference|current] [--drift 0..1] [--out DIR]`);
  }
  const rows = Number(parsed.rows);
  if (!Number.isInteger(rows) || rows < 10 || rows > 2_000_000) fail(`--rows must be a whole number from 10 to 2000000, not '${parsed.rows}'`);
  const seed = Number(parsed.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be a whole number, not '${parsed.seed}'`);
  const drift = Number(parsed.drift);
  if (parsed.drift.trim() === '' || !(drift >= 0 && drift <= 1)) fail(`--drift must be a number from 0 to 1, not '${parsed.drift}'`);
  if (!(parsed.batch in SNAPSHOT)) fail(`--batch must be reference or current, not '${parsed.batch}'`);
  const out = resolve(parsed.out ?? process.env.SLUICE_ARTIFACTS ?? join('data', parsed.batch));
  return { rows, seed, drift, batch: parsed.batch, out };
}

// mulberry32: tiny, fast, and plenty for synthetic data.
function random32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, so that each (seed, batch) pair gets its own stream. */
function hashSeed(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function sampler(seed) {
  const uniform = random32(seed);
  const normal = (mean = 0, sd = 1) => {
    const u = 1 - uniform(); // (0, 1]: log(0) never happens
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  const poisson = (lambda) => {
    if (lambda > 30) return Math.max(0, Math.round(normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = uniform(); p > limit; p *= uniform()) k++;
    return k;
  };
  const pick = (values, weights) => {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = uniform() * total;
    for (let i = 0; i < values.length; i++) {
      u -= weights[i];
      if (u < 0) return values[i];
    }
    return values[values.length - 1];
  };
  return { uniform, normal, poisson, pick };
}

const pad = (n) => String(n).padStart(2, '0');
const isoDate = (year, month, day) => {
  const date = new Date(Date.UTC(year, month, day));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
};
const money = (x) => x.toFixed(2);
const clamp = (x, low, high) => Math.min(high, Math.max(low, x));

function generate({ rows, seed, drift, batch }) {
  const { uniform, normal, poisson, pick } = sampler(hashSeed(`churn:${seed}:${batch}`));
  const [year, lastMonth] = SNAPSHOT[batch];
  const planWeights = [0.4 + 0.25 * drift, 0.38 - 0.12 * drift, 0.22 - 0.13 * drift];
  const overseas = drift >= 0.5 ? 0.35 * (drift - 0.4) : 0;
  const regionWeights = [0.3 - 0.05 * drift, 0.25 + 0.2 * drift, 0.25 - 0.05 * drift, 0.2 - 0.1 * drift, overseas];
  const customers = [];
  const usage = [];
  const tickets = [];
  let churners = 0;
  let ticketId = batch === 'reference' ? 1 : 5_000_001;

  for (let i = 0; i < rows; i++) {
    const id = FIRST_ID[batch] + i;
    const plan = pick(PLANS, planWeights);
    const region = pick(REGIONS, regionWeights);
    const contract = pick(CONTRACTS, [0.5 + 0.1 * drift, 0.33, 0.17 - 0.1 * drift]);
    const payment = pick(PAYMENTS, [0.42, 0.3, 0.2, 0.08]);
    const age = Math.round(clamp(normal(45 - 7 * drift, 13), 18, 85));
    const ageShown = uniform() < 0.04 ? '' : String(age);
    const tenure = Math.min(96, 1 + Math.floor(-Math.log(1 - uniform()) * 26 * (1 - 0.35 * drift)));
    const signup = isoDate(year, lastMonth - tenure + 1, 1 + Math.floor(uniform() * 28));
    const fee = BASE_FEE[plan] * (1 + 0.12 * drift) + 5 * poisson(0.4);
    const raised = uniform() < 0.2 + 0.3 * drift;
    const increase = raised ? 0.05 + 0.2 * uniform() : 0;
    const monthlyFee = money(fee);
    const previousFee = money(fee / (1 + increase));

    // The latent state the files only hint at.
    const engagement = normal() + (plan === 'premium' ? 0.3 : plan === 'basic' ? -0.2 : 0);
    const appetite = Math.exp(0.3 * engagement + normal(0, 0.6)); // data wanted, relative to the plan's typical use
    const fading = uniform() < 0.15;
    const unhappiness = normal();

    const months = Math.min(MONTHS, tenure);
    for (let k = MONTHS - months; k < MONTHS; k++) {
      const decline = fading ? Math.exp(-0.3 * Math.max(0, k - 1)) : 1;
      const logins = poisson(Math.exp(2.6 + 0.45 * engagement + normal(0, 0.2)) * decline);
      const minutes = Math.exp(Math.log(320) + 0.35 * engagement + normal(0, 0.3) - 0.35 * drift) * decline;
      const dataGb = DATA_GB[plan] * appetite * Math.exp(normal(0, 0.25) + 0.8 * drift) * (0.5 + 0.5 * decline);
      usage.push(`${id},${isoDate(year, lastMonth - MONTHS + 1 + k, 1)},${minutes.toFixed(1)},${dataGb.toFixed(2)},${logins}`);
    }

    const count = poisson(0.7 * (months / MONTHS) * Math.exp(0.55 * unhappiness) * (raised ? 1.6 : 1));
    const opened = Array.from({ length: count }, () => Math.floor(uniform() * months * 30 * 86400)).sort((a, b) => a - b);
    let unresolved = 0;
    let billing = 0;
    let technical = 0;
    const windowStart = Date.UTC(year, lastMonth - months + 1, 1);
    for (const offset of opened) {
      const category = pick(CATEGORIES, [0.25 + (raised ? 0.35 : 0), 0.35 + (plan === 'premium' ? 0.15 : 0), 0.2, 0.2]);
      const open = uniform() < 0.06 + (unhappiness > 1 ? 0.12 : 0);
      const hours = Math.exp(Math.log(14) + 0.45 * unhappiness + normal(0, 0.8));
      const satisfaction = Math.round(clamp(4.2 - 0.7 * unhappiness - 0.004 * hours + normal(0, 0.9), 1, 5));
      if (open) unresolved++;
      if (category === 'billing') billing++;
      if (category === 'technical') technical++;
      const at = new Date(windowStart + offset * 1000).toISOString().slice(0, 19).replace('T', ' ');
      tickets.push(`${ticketId++},${id},${at},${category},${open ? '' : hours.toFixed(1)},${open ? '' : satisfaction}`);
    }

    const monthly = contract === 'monthly';
    const logit = -3.8
      + (monthly ? 1 : contract === 'two_year' ? -1 : 0)
      // New customers leave, above all those who can leave any month.
      + 2 * Math.exp(-tenure / 5) * (monthly ? 1.5 : 0.5)
      + (engagement < -0.8 ? 2 : 0) - 0.2 * engagement
      + (fading ? 2.3 : 0)
      + 0.5 * unhappiness
      // A price rise hurts on the cheap plan and where nothing holds the customer.
      + increase * 10 * (monthly ? (plan === 'basic' ? 1.6 : 0.6) : 0.15)
      // The wrong plan: basic customers paying for extra data, premium customers paying for data they never use.
      + (plan === 'basic' && appetite > 1.6 ? 1.8 : 0) + (plan === 'premium' && appetite < 0.45 ? 1.5 : 0)
      + 0.6 * unresolved + 0.3 * billing + (plan === 'premium' && technical >= 2 ? 1.2 : 0)
      + (age < 28 ? 1.1 : age > 68 ? 0.9 : 0)
      + (payment === 'invoice' ? 0.3 : 0);
    const churned = uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    churners += churned;
    customers.push({ line: `${id},${signup},${plan},${region},${contract},${payment},${ageShown},${monthlyFee},${previousFee},${tenure}`, id, churned });
  }
  return { customers, usage, tickets, churnRate: churners / rows };
}

/** Written under a temporary name and renamed, so a reader never sees half a file. */
function writeCsv(file, header, lines) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${header}\n${lines.join('\n')}\n`);
  renameSync(temporary, file);
  return file;
}

const options = readOptions(process.argv.slice(2));
const data = generate(options);
mkdirSync(options.out, { recursive: true });
const files = {};
const customerHeader = 'customer_id,signup_date,plan,region,contract,payment_method,age,monthly_fee,previous_fee,tenure_months';
if (options.batch === 'reference') {
  files.customers = writeCsv(join(options.out, 'customers.csv'), `${customerHeader},churned`, data.customers.map((c) => `${c.line},${c.churned}`));
} else {
  files.customers = writeCsv(join(options.out, 'customers.csv'), customerHeader, data.customers.map((c) => c.line));
  files.labels = writeCsv(join(options.out, 'labels.csv'), 'customer_id,churned', data.customers.map((c) => `${c.id},${c.churned}`));
}
files.usage = writeCsv(join(options.out, 'usage.csv'), 'customer_id,month,minutes,data_gb,logins', data.usage);
files.support_tickets = writeCsv(join(options.out, 'support_tickets.csv'), 'ticket_id,customer_id,opened_at,category,resolved_hours,satisfaction', data.tickets);

const churnRate = Number(data.churnRate.toFixed(4));
console.log(`${options.batch} batch, drift ${options.drift}: ${options.rows} customers (churn rate ${(churnRate * 100).toFixed(1)}%), ` +
  `${data.usage.length} usage rows, ${data.tickets.length} support tickets in ${options.out}`);
if (process.env.SLUICE_OUTPUT) {
  const values = { ...files, rows: options.rows, usage_rows: data.usage.length, ticket_rows: data.tickets.length, churn_rate: churnRate, batch: options.batch, drift: options.drift };
  appendFileSync(process.env.SLUICE_OUTPUT, `${JSON.stringify(values)}\n`);
}
