import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAlerts } from './alerts.js';
import { benchBundles } from './bundles.js';
import { benchClient } from './client.js';
import { benchIngest } from './ingest.js';
import { benchPricing, type BenchRow } from './pricing.js';

/** `npm run bench`: every benchmark against a floor measured in the same run; prints a table and writes bench/results.json. */
process.env.TOKMON_LOG = 'silent';
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning')) console.error(`${warning.name}: ${warning.message}`);
});
const events = Number(process.env.TOKMON_BENCH_EVENTS ?? 1_000_000);
const rows: BenchRow[] = [];

process.stderr.write(`pricing ${events.toLocaleString('en-US')} generated events…\n`);
const pricing = benchPricing(events);
rows.push(...pricing.rows);
process.stderr.write('ingest through the handler vs raw BatchWriteItem on DynamoDB Local…\n');
rows.push(...(await benchIngest()));
process.stderr.write('wrapped vs raw Anthropic client against a local Messages API…\n');
rows.push(...(await benchClient()));
process.stderr.write('aggregator and alert latency…\n');
rows.push(...(await benchAlerts()));
process.stderr.write('bundles and module-init times…\n');
rows.push(...(await benchBundles()));

console.table(
  rows.map((row) => ({
    benchmark: row.name,
    value: `${row.value.toLocaleString('en-US')} ${row.unit}`,
    floor: row.floor === undefined ? '' : `${row.floor.toLocaleString('en-US')} ${row.unit}`,
    ratio: row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
    goal: row.goal ?? '',
  })),
);

const root = dirname(fileURLToPath(import.meta.url)).replace(/[\\/]dist[\\/]bench$/, '').replace(/[\\/]bench$/, '');
const out = join(root, 'bench', 'results.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rows, pricingTotals: pricing.totals }, null, 2) + '\n');
console.log(`wrote ${out}`);
