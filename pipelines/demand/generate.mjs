#!/usr/bin/env node
// Synthetic daily demand for the Sluice demo: units sold per store, product
// and day. Demand multiplies many effects, so a linear model misses much of
// it: a store's size and kind (city stores peak on weekdays, suburban ones at
// weekends), the product's category (ice cream and drinks sell in the heat,
// soup in the cold), yearly seasonality, promotions (some categories react
// more), price (with elasticity), rain, public holidays and a slow trend.
//
// Plain Node, no dependencies and its own seeded random numbers: the folder
// can be copied anywhere, and the same arguments give byte-identical files.
//
//   node generate.mjs [--stores 6] [--products 10] [--days 730] [--start 2023-01-01] [--seed 42] [--out DIR]
//
// Writes sales.csv: date, store_id, store_type, product_id, category, price,
// promotion, temperature_c, precipitation_mm, holiday, units_sold. --out is
// the task's artifacts folder under `sluice run`, else data/. Under
// `sluice run` the values sales (the file's path), rows, first_date and
// last_date are written to $SLUICE_OUTPUT.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const CATEGORIES = {
  // base units a day, price, how heat moves demand (per °C above 15), promotion uplift, price elasticity
  ice_cream: { units: 9, price: 4.5, heat: 0.07, promo: 1.9, elasticity: 1.6 },
  beverages: { units: 22, price: 1.8, heat: 0.035, promo: 1.5, elasticity: 1.2 },
  soup: { units: 8, price: 3.2, heat: -0.06, promo: 1.3, elasticity: 0.8 },
  bakery: { units: 30, price: 2.4, heat: 0, promo: 1.2, elasticity: 0.6 },
  snacks: { units: 15, price: 2.9, heat: 0.01, promo: 2.2, elasticity: 1.4 },
};
const CATEGORY_NAMES = Object.keys(CATEGORIES);
const WEEKDAY_FACTORS = {
  // Monday … Sunday
  city: [1.1, 1.1, 1.1, 1.15, 1.2, 0.75, 0.55],
  suburb: [0.8, 0.8, 0.85, 0.9, 1.1, 1.5, 1.3],
};
const HOLIDAYS = ['01-01', '05-01', '07-14', '08-15', '11-01', '12-25', '12-26'];

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
        stores: { type: 'string', default: '6' },
        products: { type: 'string', default: '10' },
        days: { type: 'string', default: '730' },
        start: { type: 'string', default: '2023-01-01' },
        seed: { type: 'string', default: '42' },
        out: { type: 'string' },
      },
    }).values;
  } catch (error) {
    fail(`${error.message}\nusage: node generate.mjs [--stores N] [--products N] [--days N] [--start YYYY-MM-DD] [--seed N] [--out DIR]`);
  }
  const whole = (name, low, high) => {
    const value = Number(parsed[name]);
    if (!Number.isInteger(value) || value < low || value > high) fail(`--${name} must be a whole number from ${low} to ${high}, not '${parsed[name]}'`);
    return value;
  };
  const start = /^\d{4}-\d{2}-\d{2}$/.test(parsed.start) ? Date.parse(`${parsed.start}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== parsed.start) fail(`--start must be a date written YYYY-MM-DD, not '${parsed.start}'`);
  const seed = Number(parsed.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be a whole number, not '${parsed.seed}'`);
  return {
    stores: whole('stores', 1, 200), products: whole('products', 1, 500), days: whole('days', 28, 3650),
    start, seed, out: resolve(parsed.out ?? process.env.SLUICE_ARTIFACTS ?? 'data'),
  };
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

function sampler(seed) {
  const uniform = random32(seed);
  const normal = (mean = 0, sd = 1) => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const poisson = (lambda) => {
    if (lambda > 30) return Math.max(0, Math.round(normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = uniform(); p > limit; p *= uniform()) k++;
    return k;
  };
  // Gamma(shape, 1) for shape >= 1 (Marsaglia and Tsang), for over-dispersed counts.
  const gamma = (shape) => {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(1 - uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return { uniform, normal, poisson, gamma };
}

function generate({ stores, products, days, start, seed }) {
  const { uniform, normal, poisson, gamma } = sampler(seed ^ 0x5eed_d3a1);
  const storeList = Array.from({ length: stores }, (_, i) => ({
    id: `S${String(i + 1).padStart(2, '0')}`,
    type: i % 3 === 2 ? 'city' : 'suburb',
    size: Math.exp(normal(0, 0.35)),
  }));
  const productList = Array.from({ length: products }, (_, i) => {
    const category = CATEGORY_NAMES[i % CATEGORY_NAMES.length];
    const spec = CATEGORIES[category];
    return { id: `P${String(i + 1).padStart(3, '0')}`, category, spec, appeal: Math.exp(normal(0, 0.3)), price: spec.price * Math.exp(normal(0, 0.15)) };
  });
  const lines = [];
  let temperatureNoise = 0;
  // Promotions run for a week at a time, per store and product.
  const promotionLeft = new Int32Array(stores * products);
  for (let day = 0; day < days; day++) {
    const date = new Date(start + day * 86_400_000);
    const iso = date.toISOString().slice(0, 10);
    const dayOfYear = Math.floor((date - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000);
    const weekday = (date.getUTCDay() + 6) % 7;
    const holiday = HOLIDAYS.includes(iso.slice(5)) ? 1 : 0;
    // One town: the stores share the weather, which follows the season with a few days' memory.
    temperatureNoise = 0.7 * temperatureNoise + normal(0, 2.2);
    const temperature = 11 + 10 * Math.sin((2 * Math.PI * (dayOfYear - 110)) / 365) + temperatureNoise;
    const rain = uniform() < 0.32 ? -Math.log(1 - uniform()) * 6 : 0;
    const trend = 1 + 0.12 * (day / 365);
    storeList.forEach((store, s) => {
      productList.forEach((product, p) => {
        const slot = s * products + p;
        if (promotionLeft[slot] > 0) promotionLeft[slot]--;
        else if (uniform() < 0.012) promotionLeft[slot] = 7;
        const promotion = promotionLeft[slot] > 0 ? 1 : 0;
        // A price list that changes now and then, and a discount during a promotion.
        const listPrice = product.price * (1 + 0.04 * Math.floor((day + p * 37) / 180));
        const price = listPrice * (promotion ? 0.75 : 1);
        const { spec } = product;
        let mean = spec.units * store.size * product.appeal * trend
          * WEEKDAY_FACTORS[store.type][weekday]
          * Math.exp(spec.heat * (temperature - 15))
          * (promotion ? spec.promo : 1)
          * (price / spec.price) ** -spec.elasticity
          * (rain > 2 ? (store.type === 'city' ? 0.85 : 1.1) : 1)
          * (holiday ? (spec.heat > 0 || product.category === 'bakery' ? 1.6 : 0.5) : 1);
        mean *= gamma(12) / 12; // days differ more than Poisson noise alone
        const units = poisson(mean);
        lines.push(`${iso},${store.id},${store.type},${product.id},${product.category},${price.toFixed(2)},${promotion},${temperature.toFixed(1)},${rain.toFixed(1)},${holiday},${units}`);
      });
    });
  }
  return lines;
}

const options = readOptions(process.argv.slice(2));
const lines = generate(options);
mkdirSync(options.out, { recursive: true });
const file = join(options.out, 'sales.csv');
const temporary = `${file}.${process.pid}.tmp`;
writeFileSync(temporary, `date,store_id,store_type,product_id,category,price,promotion,temperature_c,precipitation_mm,holiday,units_sold\n${lines.join('\n')}\n`);
renameSync(temporary, file); // a reader never sees half a file
const firstDate = new Date(options.start).toISOString().slice(0, 10);
const lastDate = new Date(options.start + (options.days - 1) * 86_400_000).toISOString().slice(0, 10);
console.log(`${lines.length} rows: ${options.stores} stores × ${options.products} products × ${options.days} days (${firstDate} to ${lastDate}) in ${file}`);
if (process.env.SLUICE_OUTPUT) {
  appendFileSync(process.env.SLUICE_OUTPUT, `${JSON.stringify({ sales: file, rows: lines.length, first_date: firstDate, last_date: lastDate })}\n`);
}
