import { BatchGetItemCommand, BatchWriteItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../cli/local/dynamoDbLocal.js';
import { startLocalStack } from '../cli/local/localStack.js';
import { createDynamoClient } from '../shared/adapters/dynamodb/client.js';
import { DynamoEventStore, DynamoSummaryStore } from '../shared/adapters/dynamodb/stores.js';
import { ensureTables, type TableNames } from '../shared/adapters/dynamodb/tables.js';
import { parseConfig } from '../shared/config/config.js';
import { builtInCatalog } from '../shared/pricing/catalog.js';
import { CostEngine } from '../shared/pricing/priceUsage.js';
import { runtimeSettings } from '../shared/runtime/runtime.js';
import { eventKey, WINDOW_MS, windowOf } from '../shared/storage/keys.js';
import { AGGREGATION_GRACE_MS, aggregateUsage } from '../shared/usecases/aggregateUsage.js';
import type { BenchRow } from './pricing.js';

const WINDOWS = 12;
const BATCH = 1000;

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function batchWrite(client: ReturnType<typeof createDynamoClient>, table: string, items: Record<string, AttributeValue>[]): Promise<void> {
  for (let index = 0; index < items.length; index += 25) {
    let pending = items.slice(index, index + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const response = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = (response.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}

/**
 * Journals `count` events over one hour of windows and stores them as the ingest path would (the
 * journal through the store, the event items by plain BatchWriteItem to seed quickly), then times
 * one aggregator run over all of it, beside the floor of reading the same event items with
 * BatchGetItem at the same concurrency.
 */
async function aggregatorRun(client: ReturnType<typeof createDynamoClient>, count: number): Promise<{ aggregateMs: number; readMs: number; events: number }> {
  const prefix = `g${randomBytes(3).toString('hex')}`;
  const tables: TableNames = { events: `${prefix}-events`, summaries: `${prefix}-summaries`, apiKeys: `${prefix}-keys` };
  await ensureTables(client, tables);
  const config = parseConfig({ token_monitoring: { budgets: [{ name: 'chat', period: 'day', limit_usd: 100, filter: { tags: { feature: 'chat' } } }] } }, 'bench');
  const events = new DynamoEventStore(client, tables, config.retention_days);
  const summaries = new DynamoSummaryStore(client, tables);
  const firstWindow = windowOf(Date.now()) - WINDOWS - 2;
  const batches: { window: number; ids: string[]; items: Record<string, AttributeValue>[]; batchId: string }[] = [];
  for (let index = 0; index < count; index += BATCH) {
    const window = firstWindow + Math.floor((index / count) * WINDOWS);
    const batchId = `${window}-${index}`;
    const ids: string[] = [];
    const items: Record<string, AttributeValue>[] = [];
    for (let offset = 0; offset < Math.min(BATCH, count - index); offset++) {
      const n = index + offset;
      const event = {
        id: `agg_${n}`,
        timestamp: new Date(window * WINDOW_MS + 1000).toISOString(),
        model: n % 2 ? 'claude-sonnet-4-5-20250929' : 'claude-haiku-4-5',
        usage: { input_tokens: 2000 + (n % 100), output_tokens: 500, cache_read_input_tokens: n % 3 ? 3000 : 0 },
        tags: { app: `app${n % 5}`, feature: n % 3 ? 'chat' : 'search' },
      };
      ids.push(event.id);
      items.push({ ...eventKey(event.id), b: { S: batchId }, e: { S: JSON.stringify(event) }, expiresAt: { N: '2000000000' } });
    }
    batches.push({ window, ids, items, batchId });
  }
  await inParallel(batches, 8, async (batch) => {
    await events.recordBatch({ batchId: batch.batchId, window: batch.window, shard: batch.ids.length % 4, ingestedAt: batch.window * WINDOW_MS, eventIds: batch.ids }, Date.now() + 60_000);
    await batchWrite(client, tables.events, batch.items);
  });
  await summaries.advanceWatermark(firstWindow - 1);
  const clock = { now: () => (firstWindow + WINDOWS + 1) * WINDOW_MS + AGGREGATION_GRACE_MS + 1 };

  let start = performance.now();
  const result = await aggregateUsage({ events, summaries, engine: new CostEngine(builtInCatalog()), settings: runtimeSettings(config), clock }, 10_000);
  const aggregateMs = performance.now() - start;

  start = performance.now();
  await inParallel(batches, 8, async (batch) => {
    for (let index = 0; index < batch.ids.length; index += 100) {
      await client.send(new BatchGetItemCommand({ RequestItems: { [tables.events]: { Keys: batch.ids.slice(index, index + 100).map(eventKey), ConsistentRead: true } } }));
    }
  });
  const readMs = performance.now() - start;
  return { aggregateMs, readMs, events: result.events };
}

/** Waits until notifications.jsonl has `lines` lines; returns when. */
async function waitForLines(file: string, lines: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').filter((line) => line.trim()).length >= lines) return performance.now();
    if (Date.now() > deadline) throw new Error(`no notification within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Time from the ingest of the event that crosses a threshold to its notification line, on the
 * local stack with its default schedule (the in-process aggregator and budget check every 60 s).
 */
async function alertLatency(endpoint: string, samples: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tokmon-bench-alerts-'));
  const config = join(dir, 'tokmon.yaml');
  const thresholds = Array.from({ length: samples }, (_, index) => 10 * (index + 1));
  writeFileSync(config, `token_monitoring:\n  budgets:\n    - name: bench\n      period: day\n      limit_tokens: 1000000\n      thresholds: [${thresholds.join(', ')}]\n`);
  const prefix = `l${randomBytes(3).toString('hex')}`;
  const stack = await startLocalStack({
    env: { TOKMON_CONFIG: config, TOKMON_DATA_DIR: dir, TOKMON_PORT: '0', TOKMON_DYNAMODB_ENDPOINT: endpoint, TOKMON_EVENTS_TABLE: `${prefix}-e`, TOKMON_SUMMARIES_TABLE: `${prefix}-s`, TOKMON_KEYS_TABLE: `${prefix}-k`, TOKMON_LOG: 'silent' },
    print: () => {},
  });
  const latencies: number[] = [];
  try {
    for (let sample = 0; sample < samples; sample++) {
      // A random point in the schedule's minute, as real traffic would be.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20_000));
      const start = performance.now();
      const response = await fetch(`${stack.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.keys.ingest}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `lat_${sample}`, timestamp: new Date().toISOString(), model: 'claude-haiku-4-5', usage: { input_tokens: 100_000, output_tokens: 0 } }),
      });
      if (!response.ok) throw new Error(`ingest answered ${response.status}`);
      latencies.push((await waitForLines(join(dir, 'notifications.jsonl'), sample + 1, 120_000)) - start);
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return latencies;
}

export async function benchAlerts(): Promise<BenchRow[]> {
  const dynamo = await startDynamoDbLocal();
  try {
    const client = createDynamoClient(dynamo.endpoint);
    const rows: BenchRow[] = [];
    const runs: Record<number, { aggregateMs: number; readMs: number; events: number }> = {};
    for (const count of [10_000, 100_000]) {
      process.stderr.write(`  aggregator over ${count.toLocaleString('en-US')} events…\n`);
      const run = (runs[count] = await aggregatorRun(client, count));
      if (run.events !== count) throw new Error(`aggregator counted ${run.events} of ${count} events`);
      rows.push({ name: `aggregator run, ${count.toLocaleString('en-US')} events in ${WINDOWS} windows`, value: Math.round(run.aggregateMs), unit: 'ms', floor: Math.round(run.readMs), ratio: run.aggregateMs / run.readMs, goal: 'floor: BatchGetItem of the same events' });
    }
    rows.push({ name: 'aggregator growth 10,000 → 100,000 events', value: Number((runs[100_000]!.aggregateMs / runs[10_000]!.aggregateMs).toFixed(2)), unit: '×', goal: 'linear = 10×' });
    const samples = Number(process.env.TOKMON_BENCH_ALERT_SAMPLES ?? 2);
    process.stderr.write(`  threshold-to-notification latency on the local stack (${samples} samples, default 60 s schedule; up to ${samples} min)…\n`);
    const latencies = await alertLatency(dynamo.endpoint, samples);
    rows.push({ name: `threshold crossed → notification (local stack, ${samples} samples, max)`, value: Math.round(Math.max(...latencies)), unit: 'ms', goal: '≤ 60,000 ms with the default schedule' });
    rows.push({ name: 'threshold crossed → notification (mean)', value: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length), unit: 'ms' });
    return rows;
  } finally {
    await dynamo.stop();
  }
}
