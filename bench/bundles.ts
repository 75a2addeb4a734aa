import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BenchRow } from './pricing.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/?$/, '');
const source = (path: string) => join(root.endsWith('/') ? root : `${root}/`, path);

/** The same esbuild options NodejsFunction uses in infra/statelessStack.ts. */
async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as tokmonRequire } from 'module'; const require = tokmonRequire(import.meta.url);" },
    define: { 'process.env.TOKMON_BUNDLED_CONFIG': JSON.stringify('{}') },
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

/** Median time to import a bundle in a fresh Node process (module init, as in a Lambda cold start). */
function initMs(file: string, runs = 9): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const times = Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } })));
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)]!;
}

export async function benchBundles(): Promise<BenchRow[]> {
  const out = mkdtempSync(join(tmpdir(), 'tokmon-bundles-'));
  const floorFile = join(out, 'floor.mjs');
  const floorSize = await bundle(source('bench/floorHandler.ts'), floorFile);
  const floorInit = initMs(floorFile);
  const rows: BenchRow[] = [];
  for (const name of ['ingest', 'api', 'aggregator']) {
    const file = join(out, `${name}.mjs`);
    const size = await bundle(source(`functions/${name}/handler.ts`), file);
    const init = initMs(file);
    rows.push({ name: `${name} bundle size`, value: Math.round(size / 1024), unit: 'KiB', floor: Math.round(floorSize / 1024), ratio: size / floorSize, goal: '≤ 1.5× DynamoDB-client-only bundle' });
    rows.push({ name: `${name} module init`, value: Number(init.toFixed(1)), unit: 'ms', floor: Number(floorInit.toFixed(1)), ratio: init / floorInit, goal: '≤ 1.5×' });
  }
  return rows;
}
