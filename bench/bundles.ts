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

/** Time to import a bundle in a fresh Node process (module init, as in a Lambda cold start). */
function initOnce(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } }));
}

/** Medians over rounds that take every bundle in turn, so background load hits all of them alike. */
function medianInits(files: string[], rounds = 15): number[] {
  const samples = files.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) files.forEach((file, index) => samples[index]!.push(initOnce(file)));
  return samples.map((times) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!);
}

export async function benchBundles(): Promise<BenchRow[]> {
  const out = mkdtempSync(join(tmpdir(), 'tokmon-bundles-'));
  // The poller carries the Anthropic SDK by design; it runs on a schedule, where cold starts cost little.
  const names = ['ingest', 'api', 'aggregator', 'poller'];
  const floorFile = join(out, 'floor.mjs');
  const floorSize = await bundle(source('bench/floorHandler.ts'), floorFile);
  const files = names.map((name) => join(out, `${name}.mjs`));
  const sizes = await Promise.all(names.map((name, index) => bundle(source(`functions/${name}/handler.ts`), files[index]!)));
  const [floorInit, ...inits] = medianInits([floorFile, ...files]);
  return names.flatMap((name, index) => [
    { name: `${name} bundle size`, value: Math.round(sizes[index]! / 1024), unit: 'KiB', floor: Math.round(floorSize / 1024), ratio: sizes[index]! / floorSize, goal: name === 'poller' ? '(informational: bundles the Anthropic SDK)' : '≤ 1.5× DynamoDB-client-only bundle' },
    { name: `${name} module init`, value: Number(inits[index]!.toFixed(1)), unit: 'ms', floor: Number(floorInit!.toFixed(1)), ratio: inits[index]! / floorInit!, goal: name === 'poller' ? '(informational)' : '≤ 1.5×' },
  ]);
}
