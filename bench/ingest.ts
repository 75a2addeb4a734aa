import { BatchGetItemCommand, BatchWriteItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { startDynamoDbLocal } from '../cli/local/dynamoDbLocal.js';
import { handler as ingestHandler } from '../functions/ingest/handler.js';
import { createDynamoClient } from '../shared/adapters/dynamodb/client.js';
import { ensureTables, type TableNames } from '../shared/adapters/dynamodb/tables.js';
import type { HttpEvent } from '../shared/http/apiEvent.js';
import { createRuntime, setRuntime, bundledSettings } from '../shared/runtime/runtime.js';
import { eventKey, INTENT_SHARDS, intentPartition, windowOf } from '../shared/storage/keys.js';
import type { BenchRow } from './pricing.js';

const BATCH = 100;

function makeBatch(round: string, batchIndex: number): Record<string, unknown>[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `msg_${round}_${batchIndex}_${i}_${randomBytes(4).toString('hex')}`,
    timestamp: new Date().toISOString(),
    model: i % 2 ? 'claude-sonnet-4-5-20250929' : 'claude-haiku-4-5',
    usage: {
      input_tokens: 2000 + i,
      output_tokens: 500,
      cache_creation_input_tokens: 100,
      cache_read_input_tokens: 3000,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 0 },
      service_tier: 'standard',
      inference_geo: 'global',
    },
    requestId: `req_${randomBytes(8).toString('hex')}`,
    tags: { app: 'bench', feature: i % 3 ? 'chat' : 'search' },
    latencyMs: 1200,
    stream: true,
    stopReason: 'end_turn',
  }));
}

function apiEvent(body: string, key: string): HttpEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/events',
    rawQueryString: '',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/v1/events' } } as HttpEvent['requestContext'],
    body,
    isBase64Encoded: false,
  };
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * Ingest throughput through the real handler (auth, validation, journal, conditional inserts)
 * beside raw BatchWriteItem of the same items on the same DynamoDB Local, in batches of 100, and
 * the write units per accepted event.
 */
export async function benchIngest(batches = 60, concurrency = 4): Promise<BenchRow[]> {
  const dynamo = await startDynamoDbLocal();
  try {
    const client = createDynamoClient(dynamo.endpoint);
    const prefix = `b${randomBytes(3).toString('hex')}`;
    const tables: TableNames = { events: `${prefix}-events`, summaries: `${prefix}-summaries`, apiKeys: `${prefix}-keys` };
    const raw: TableNames = { events: `${prefix}-raw`, summaries: `${prefix}-raw-s`, apiKeys: `${prefix}-raw-k` };
    const replay: TableNames = { events: `${prefix}-replay`, summaries: `${prefix}-replay-s`, apiKeys: `${prefix}-replay-k` };
    for (const names of [tables, raw, replay]) await ensureTables(client, names);
    const key = `tk_ingest_${randomBytes(16).toString('hex')}`;
    setRuntime(createRuntime({
      env: { TOKMON_DYNAMODB_ENDPOINT: dynamo.endpoint, TOKMON_EVENTS_TABLE: tables.events, TOKMON_SUMMARIES_TABLE: tables.summaries, TOKMON_KEYS_TABLE: tables.apiKeys, TOKMON_INGEST_KEY: key, TOKMON_LOG: 'silent' },
      client,
      settings: bundledSettings(undefined),
    }));

    let handlerMs = 0;
    let rawMs = 0;
    let accepted = 0;
    for (let round = 0; round < 3; round++) {
      const bodies = Array.from({ length: batches }, (_, index) => makeBatch(`r${round}`, index));
      // Raw floor: the same stored items, written with plain BatchWriteItem (25 per request).
      const rawItems = bodies.map((events) =>
        events.map((event) => ({ ...eventKey(event.id as string), b: { S: 'raw' }, e: { S: JSON.stringify(event) }, expiresAt: { N: '2000000000' } })),
      );
      const warm = round === 0;
      let start = performance.now();
      await inParallel(rawItems, concurrency, async (items) => {
        await Promise.all(Array.from({ length: Math.ceil(items.length / 25) }, async (_, part) => {
          let pending = items.slice(part * 25, part * 25 + 25).map((Item) => ({ PutRequest: { Item } }));
          while (pending.length > 0) {
            const response = await client.send(new BatchWriteItemCommand({ RequestItems: { [raw.events]: pending } }));
            pending = (response.UnprocessedItems?.[raw.events] ?? []) as typeof pending;
          }
        }));
      });
      if (!warm) rawMs += performance.now() - start;

      start = performance.now();
      await inParallel(bodies, concurrency, async (events) => {
        const result = await ingestHandler(apiEvent(JSON.stringify({ events }), key), {} as never);
        if (result.statusCode !== 200) throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
        if (!warm) accepted += (JSON.parse(result.body!) as { accepted: number }).accepted;
      });
      if (!warm) handlerMs += performance.now() - start;
    }
    const measuredEvents = 2 * batches * BATCH;
    const handlerRate = (measuredEvents / handlerMs) * 1000;
    const rawRate = (measuredEvents / rawMs) * 1000;

    // Write units: DynamoDB Local reports none for PartiQL batches, so every item the handler wrote
    // (events and journal) is put again with PutItem + ReturnConsumedCapacity; units depend only on item size.
    let units = 0;
    const replayItem = async (Item: Record<string, AttributeValue>) => {
      const response = await client.send(new PutItemCommand({ TableName: replay.events, Item, ReturnConsumedCapacity: 'TOTAL' }));
      units += response.ConsumedCapacity?.CapacityUnits ?? 0;
    };
    const now = Date.now();
    const journal: Record<string, AttributeValue>[] = [];
    for (let window = windowOf(now) - 2; window <= windowOf(now); window++) {
      for (let shard = 0; shard < INTENT_SHARDS; shard++) {
        const page = await client.send(new QueryCommand({ TableName: tables.events, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: intentPartition(window, shard) } } }));
        journal.push(...(page.Items ?? []));
      }
    }
    const ids = journal.flatMap((item) => JSON.parse(item.ids!.S!) as string[]);
    const stored: Record<string, AttributeValue>[] = [];
    for (let index = 0; index < ids.length; index += 100) {
      const response = await client.send(new BatchGetItemCommand({ RequestItems: { [tables.events]: { Keys: ids.slice(index, index + 100).map(eventKey) } } }));
      stored.push(...(response.Responses?.[tables.events] ?? []));
    }
    await inParallel([...journal, ...stored], 8, replayItem);
    const unitsPerEvent = units / stored.length;
    return [
      { name: `ingest throughput (handler, batches of ${BATCH})`, value: Math.round(handlerRate), unit: 'events/s', floor: Math.round(rawRate), ratio: handlerRate / rawRate, goal: '≥ 0.7× raw BatchWriteItem' },
      { name: 'write units per accepted event', value: Number(unitsPerEvent.toFixed(3)), unit: 'WCU', goal: '≤ 1.25 (naive transaction: 4)' },
      { name: 'events accepted in measured rounds', value: accepted, unit: 'events' },
    ];
  } finally {
    setRuntime(undefined);
    await dynamo.stop();
  }
}
