import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPricing, type BenchRow } from './pricing.js';

/** `npm run bench`: every benchmark measured against a floor taken in the same run; prints a table and writes bench/results.json. */
const events = Number(process.env.TOKMON_BENCH_EVENTS ?? 1_000_000);
process.stderr.write(`pricing ${events.toLocaleString('en-US')} generated events…\n`);
const pricing = benchPricing(events);
const rows: BenchRow[] = [...pricing.rows];

const table = rows.map((row) => ({
  benchmark: row.name,
  value: `${row.value.toLocaleString('en-US')} ${row.unit}`,
  floor: row.floor === undefined ? '' : `${row.floor.toLocaleString('en-US')} ${row.unit}`,
  ratio: row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
  goal: row.goal ?? '',
}));
console.table(table);

// bench/results.json beside the sources, whether run from bench/ or dist/bench/
const root = dirname(fileURLToPath(import.meta.url)).replace(/[\\/]dist[\\/]bench$/, '').replace(/[\\/]bench$/, '');
const out = join(root, 'bench', 'results.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rows, pricingTotals: pricing.totals }, null, 2) + '\n');
console.log(`wrote ${out}`);
