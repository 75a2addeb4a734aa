import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { getTokenMonitor, withTokenMonitor } from '../client/index.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './pricing.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Per-call time of the wrapped client vs the raw client against the same local Messages API, calls alternated. */
export async function benchClient(calls = 400): Promise<BenchRow[]> {
  const server = spawn(process.execPath, [fileURLToPath(new URL('./fakeAnthropicServer.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout!.setEncoding('utf8').once('data', (line: string) => resolve(line.trim()));
    server.once('exit', () => reject(new Error('the fake Messages API did not start')));
  });
  const fake = { url };
  try {
    const folder = mkdtempSync(join(tmpdir(), 'tokmon-bench-client-'));
    const config = join(folder, 'tokmon.yaml');
    writeFileSync(config, 'token_monitoring:\n  enabled: true\n');
    const raw = new Anthropic({ apiKey: 'bench', baseURL: fake.url, maxRetries: 0 });
    const wrapped = withTokenMonitor(new Anthropic({ apiKey: 'bench', baseURL: fake.url, maxRetries: 0 }), { config, spoolDir: join(folder, 'spool') });
    const params = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
    const timings = { raw: [] as number[], wrapped: [] as number[], rawStream: [] as number[], wrappedStream: [] as number[] };
    const timeCall = async (client: Anthropic, stream: boolean) => {
      const start = performance.now();
      if (stream) {
        const events = await client.messages.create({ ...params, stream: true });
        for await (const _event of events) {
          // consume
        }
      } else await client.messages.create(params);
      return performance.now() - start;
    };
    for (let i = 0; i < 50; i++) {
      await timeCall(raw, i % 2 === 0);
      await timeCall(wrapped, i % 2 === 0);
    }
    for (let i = 0; i < calls; i++) {
      // alternate the order so neither client always goes first
      if (i % 2 === 0) {
        timings.raw.push(await timeCall(raw, false));
        timings.wrapped.push(await timeCall(wrapped, false));
        timings.rawStream.push(await timeCall(raw, true));
        timings.wrappedStream.push(await timeCall(wrapped, true));
      } else {
        timings.wrapped.push(await timeCall(wrapped, false));
        timings.raw.push(await timeCall(raw, false));
        timings.wrappedStream.push(await timeCall(wrapped, true));
        timings.rawStream.push(await timeCall(raw, true));
      }
    }
    await getTokenMonitor(wrapped)!.close();
    const row = (name: string, value: number, floor: number): BenchRow => ({ name, value: Number(value.toFixed(3)), unit: 'ms', floor: Number(floor.toFixed(3)), ratio: value / floor, goal: '≤ 1.05× raw client (median)' });
    return [
      row('wrapped client per call, JSON (median)', median(timings.wrapped), median(timings.raw)),
      row('wrapped client per call, streaming (median)', median(timings.wrappedStream), median(timings.rawStream)),
    ];
  } finally {
    server.kill('SIGTERM');
  }
}
