import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { UsageEvent } from '../../domain/usage.js';
import { emptyTotals, type UsageTotals } from '../../domain/usageTotals.js';
import { apiKeyKey, dayPartition, eventKey, INTENT_SHARDS, intentKey, intentPartition, summaryKey, watermarkKey } from '../../storage/keys.js';
import { AppError } from '../../usecases/errors.js';
import { inParallel } from '../../util/inParallel.js';
import type { ApiKeyRecord, ApiKeyStore, EventStore, IngestBatch, Role, StoredSummaryRow, SummaryRow, SummaryStore } from '../../usecases/ports.js';
import { isConditionFailure } from './client.js';
import { TTL_ATTRIBUTE, type TableNames } from './tables.js';

type Item = Record<string, AttributeValue>;

const DAY_SECONDS = 86_400;
/** Journal items must outlive the aggregator's lag: it has 30 days to catch up after an outage. */
const JOURNAL_RETENTION_DAYS = 30;
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const RETRYABLE_STATEMENT_ERRORS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded', 'InternalServerError', 'TransactionConflict']);

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

/** Aborts a storage call at the ingest deadline, so no write of a request lands after it. */
function until(deadline: number): { abortSignal: AbortSignal } {
  return { abortSignal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) };
}

/** Journal items stay well under DynamoDB's 400 KB item limit; a batch with long ids gets several. */
const JOURNAL_PART_BYTES = 300_000;

function journalParts(eventIds: string[]): string[][] {
  const parts: string[][] = [[]];
  let size = 0;
  for (const id of eventIds) {
    const bytes = Buffer.byteLength(id) + 4;
    if (size + bytes > JOURNAL_PART_BYTES && parts.at(-1)!.length > 0) {
      parts.push([]);
      size = 0;
    }
    parts.at(-1)!.push(id);
    size += bytes;
  }
  return parts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function backoff(attempt: number): number {
  return Math.min(1_000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

/** Reads items by key, following UnprocessedKeys; strongly consistent. */
async function batchGet(client: DynamoDBClient, table: string, keys: Item[], projection: string): Promise<Item[]> {
  const items: Item[] = [];
  for (const part of chunk(keys, BATCH_GET_LIMIT)) {
    let pending: Item[] = part;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoff(attempt));
      if (attempt > 8) throw new AppError('unavailable', 'storage is busy; retry the request');
      const response = await client.send(
        new BatchGetItemCommand({
          RequestItems: { [table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: projection, ExpressionAttributeNames: { '#pk': 'pk' } } },
        }),
      );
      items.push(...(response.Responses?.[table] ?? []));
      pending = response.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}

/** Every item of one partition, following pages; strongly consistent. */
async function queryPartition(client: DynamoDBClient, table: string, pk: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export class DynamoEventStore implements EventStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
    private readonly retentionDays: number,
  ) {}

  async recordBatch(batch: IngestBatch, deadline: number): Promise<void> {
    const parts = journalParts(batch.eventIds);
    await inParallel(parts, 4, async (ids) => {
      const part = parts.indexOf(ids);
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.events,
          Item: {
            ...intentKey(batch.window, batch.shard, part === 0 ? batch.batchId : `${batch.batchId}#${part}`),
            ids: { S: JSON.stringify(ids) },
            at: { N: String(batch.ingestedAt) },
            [TTL_ATTRIBUTE]: { N: String(Math.floor(batch.ingestedAt / 1000) + JOURNAL_RETENTION_DAYS * DAY_SECONDS) },
          },
        }),
        until(deadline),
      );
    });
  }

  async storeNewEvents(batch: IngestBatch, events: UsageEvent[], deadline: number): Promise<Set<string>> {
    const expiresAt = String(Math.floor(batch.ingestedAt / 1000) + this.retentionDays * DAY_SECONDS);
    // PartiQL INSERT fails with DuplicateItem when the key exists: a conditional put that can be batched 25 at a time.
    const statement = `INSERT INTO "${this.tables.events}" VALUE {'pk': ?, 'sk': ?, 'b': ?, 'e': ?, '${TTL_ATTRIBUTE}': ?}`;
    const insert = (event: UsageEvent) => {
      const key = eventKey(event.id);
      return { id: event.id, Statement: statement, Parameters: [key.pk!, key.sk!, { S: batch.batchId }, { S: JSON.stringify(event) }, { N: expiresAt }] };
    };
    const existing = new Set<string>();
    await inParallel(chunk(events.map(insert), BATCH_WRITE_LIMIT), 8, async (part) => {
      let pending = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await sleep(backoff(attempt));
        if (Date.now() > deadline) throw new AppError('unavailable', 'storage is busy; retry the request (events already stored will count as duplicates)');
        const response = await this.client.send(new BatchExecuteStatementCommand({ Statements: pending.map(({ Statement, Parameters }) => ({ Statement, Parameters })) }), until(deadline));
        const retry: typeof pending = [];
        (response.Responses ?? []).forEach((result, index) => {
          const sent = pending[index]!;
          if (!result.Error) return;
          if (result.Error.Code === 'DuplicateItem' || result.Error.Code === 'ConditionalCheckFailed') existing.add(sent.id);
          else if (RETRYABLE_STATEMENT_ERRORS.has(result.Error.Code ?? '')) retry.push(sent);
          else throw new Error(`event insert failed: ${result.Error.Code}`);
        });
        pending = retry;
      }
    });
    return existing;
  }

  async batchesInWindow(window: number): Promise<IngestBatch[]> {
    const shards = Array.from({ length: INTENT_SHARDS }, (_, shard) => shard);
    const perShard = await Promise.all(shards.map((shard) => queryPartition(this.client, this.tables.events, intentPartition(window, shard))));
    return perShard.flatMap((items, shard) =>
      // A journal split in parts (sk "<batch id>#<n>") is read as several batches with one batch id.
      items.map((item) => ({ batchId: item.sk!.S!.split('#')[0]!, window, shard, ingestedAt: Number(item.at!.N), eventIds: JSON.parse(item.ids!.S!) as string[] })),
    );
  }

  async eventsWrittenBy(batch: IngestBatch): Promise<UsageEvent[]> {
    const items = await batchGet(this.client, this.tables.events, batch.eventIds.map(eventKey), '#pk, b, e');
    return items.filter((item) => item.b?.S === batch.batchId).map((item) => JSON.parse(item.e!.S!) as UsageEvent);
  }
}

const TOKEN_FIELDS = ['requests', 'inputTokens', 'outputTokens', 'cacheCreationInputTokens', 'cacheReadInputTokens', 'webSearchRequests', 'unpricedRequests'] as const;
const MONEY_FIELDS = {
  inputAtto: (t: UsageTotals) => t.breakdown.inputUsd,
  outputAtto: (t: UsageTotals) => t.breakdown.outputUsd,
  cacheWrite5mAtto: (t: UsageTotals) => t.breakdown.cacheWrite5mUsd,
  cacheWrite1hAtto: (t: UsageTotals) => t.breakdown.cacheWrite1hUsd,
  cacheReadAtto: (t: UsageTotals) => t.breakdown.cacheReadUsd,
  webSearchAtto: (t: UsageTotals) => t.breakdown.webSearchUsd,
  costAtto: (t: UsageTotals) => t.costUsd,
  savingsAtto: (t: UsageTotals) => t.cacheSavingsUsd,
} as const;

function totalsFromItem(item: Item): UsageTotals {
  const totals = emptyTotals();
  for (const field of TOKEN_FIELDS) totals[field] = Number(item[field]?.N ?? '0');
  const atto = (name: keyof typeof MONEY_FIELDS) => BigInt(item[name]?.N ?? '0');
  totals.breakdown = {
    inputUsd: atto('inputAtto'),
    outputUsd: atto('outputAtto'),
    cacheWrite5mUsd: atto('cacheWrite5mAtto'),
    cacheWrite1hUsd: atto('cacheWrite1hAtto'),
    cacheReadUsd: atto('cacheReadAtto'),
    webSearchUsd: atto('webSearchAtto'),
  };
  totals.costUsd = atto('costAtto');
  totals.cacheSavingsUsd = atto('savingsAtto');
  return totals;
}

export class DynamoSummaryStore implements SummaryStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
  ) {}

  async watermark(): Promise<number | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: watermarkKey(), ConsistentRead: true }));
    const value = response.Item?.w?.N;
    return value === undefined ? undefined : Number(value);
  }

  /** Sets the watermark to `window` when `condition` holds; a failed condition is the expected no-op. */
  private async setWatermark(window: number, condition: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.summaries,
          Key: watermarkKey(),
          UpdateExpression: 'SET w = :w',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':w': { N: String(window) } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  advanceWatermark(window: number): Promise<void> {
    return this.setWatermark(window, 'attribute_not_exists(w) OR w < :w');
  }

  private watermarkStarted = false;

  async startWatermarkAt(window: number): Promise<void> {
    if (this.watermarkStarted) return;
    await this.setWatermark(window, 'attribute_not_exists(w)');
    this.watermarkStarted = true;
  }

  async applyWindow(window: number, rows: SummaryRow[]): Promise<number> {
    const applied = await inParallel(rows, 16, async (row) => {
      const values: Item = { ':w': { N: String(window) } };
      const adds: string[] = [];
      for (const field of TOKEN_FIELDS) {
        values[`:${field}`] = { N: String(row.totals[field]) };
        adds.push(`${field} :${field}`);
      }
      for (const [field, read] of Object.entries(MONEY_FIELDS)) {
        values[`:${field}`] = { N: read(row.totals).toString() };
        adds.push(`${field} :${field}`);
      }
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tables.summaries,
            Key: summaryKey(row.day, row.dimension),
            UpdateExpression: `ADD ${adds.join(', ')} SET lastWindow = :w`,
            ConditionExpression: 'attribute_not_exists(lastWindow) OR lastWindow < :w',
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    });
    return applied.filter(Boolean).length;
  }

  async rowsForDays(days: string[]): Promise<StoredSummaryRow[]> {
    const perDay = await inParallel(days, 8, async (day) =>
      (await queryPartition(this.client, this.tables.summaries, dayPartition(day))).map((item) => ({
        day,
        dimension: item.sk!.S!,
        totals: totalsFromItem(item),
        lastWindow: Number(item.lastWindow?.N ?? '-1'),
      })),
    );
    return perDay.flat();
  }
}

function keyRecordFromItem(item: Item): ApiKeyRecord {
  return {
    id: item.id!.S!,
    role: item.role!.S! as Role,
    name: item.name?.S ?? '',
    createdAt: item.createdAt!.S!,
    ...(item.revokedAt?.S ? { revokedAt: item.revokedAt.S } : {}),
  };
}

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
  ) {}

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.apiKeys, Key: apiKeyKey(keyHash), ConsistentRead: true }));
    if (!response.Item || response.Item.revokedAt?.S) return undefined;
    return keyRecordFromItem(response.Item);
  }

  async create(keyHash: string, record: ApiKeyRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tables.apiKeys,
        Item: { ...apiKeyKey(keyHash), id: { S: record.id }, role: { S: record.role }, name: { S: record.name }, createdAt: { S: record.createdAt } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  private async scanAll(): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tables.apiKeys, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.scanAll()).map(keyRecordFromItem).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const item = (await this.scanAll()).find((candidate) => candidate.id?.S === id);
    if (!item) return false;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tables.apiKeys,
        Key: { pk: item.pk! },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
        ExpressionAttributeValues: { ':at': { S: at } },
      }),
    );
    return true;
  }
}
