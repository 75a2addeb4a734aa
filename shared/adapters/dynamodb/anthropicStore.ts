import { BatchWriteItemCommand, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { costGroupKey, usageGroupKey, type AnthropicCostRow, type AnthropicUsageRow } from '../../domain/anthropicReport.js';
import { anthropicPartition, backfillKey, dayCostKey, pollKey } from '../../storage/keys.js';
import type { AnthropicReport, AnthropicReportStore, PollRecord } from '../../usecases/ports.js';
import { inParallel } from '../../util/inParallel.js';
import { isConditionFailure } from './client.js';
import { TTL_ATTRIBUTE, type TableNames } from './tables.js';

type Item = Record<string, AttributeValue>;

/** Anthropic's figures are kept as long as reconciliation may look back (about 13 months). */
const RETENTION_SECONDS = 400 * 86_400;

function utcDaysBetween(from: number, to: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(from / 86_400_000) * 86_400_000; day < to; day += 86_400_000) days.push(new Date(day).toISOString().slice(0, 10));
  return days;
}

function sortKey(kind: 'U' | 'C', hour: string, group: string): string {
  return `${kind}#${hour}#${group}`;
}

function hourOfSortKey(sk: string): number {
  return Date.parse(sk.split('#')[1]!);
}

/**
 * Anthropic's usage and cost rows in the summary table, one item per (hour bucket, group),
 * partitioned by the bucket's UTC day. A poll replaces every bucket it re-read: items of those
 * hours that the new report no longer has are deleted, so late data never counts twice.
 */
export class DynamoAnthropicReportStore implements AnthropicReportStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
  ) {}

  private async itemsBetween(from: number, to: number): Promise<Item[]> {
    const perDay = await inParallel(utcDaysBetween(from, to), 8, async (day) => {
      const items: Item[] = [];
      let startKey: Item | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({ TableName: this.tables.summaries, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: anthropicPartition(day) } }, ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    });
    return perDay.flat().filter((item) => {
      const hour = hourOfSortKey(item.sk!.S!);
      return hour >= from && hour < to;
    });
  }

  async replaceHours(from: number, to: number, report: AnthropicReport): Promise<{ written: number; deleted: number }> {
    const expiresAt = { N: String(Math.floor(Date.now() / 1000) + RETENTION_SECONDS) };
    const wanted = new Map<string, Item>();
    const add = (kind: 'U' | 'C', row: AnthropicUsageRow | AnthropicCostRow, group: string) => {
      const hour = Date.parse(row.hour);
      if (hour < from || hour >= to) return;
      const key = { pk: { S: anthropicPartition(row.hour.slice(0, 10)) }, sk: { S: sortKey(kind, row.hour, group) } };
      wanted.set(`${key.pk.S}\u0000${key.sk.S}`, { ...key, d: { S: JSON.stringify(row) }, [TTL_ATTRIBUTE]: expiresAt });
    };
    for (const row of report.usage) add('U', row, usageGroupKey(row));
    for (const row of report.cost) add('C', row, costGroupKey(row));
    const stale = (await this.itemsBetween(from, to)).filter((item) => !wanted.has(`${item.pk!.S}\u0000${item.sk!.S}`));
    const requests = [
      ...[...wanted.values()].map((Item) => ({ PutRequest: { Item } })),
      ...stale.map((item) => ({ DeleteRequest: { Key: { pk: item.pk!, sk: item.sk! } } })),
    ];
    const chunks: (typeof requests)[] = [];
    for (let index = 0; index < requests.length; index += 25) chunks.push(requests.slice(index, index + 25));
    await inParallel(chunks, 4, async (chunk) => {
      let pending = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const response = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tables.summaries]: pending } }));
        pending = (response.UnprocessedItems?.[this.tables.summaries] ?? []) as typeof pending;
      }
    });
    return { written: wanted.size, deleted: stale.length };
  }

  async rowsBetween(from: number, to: number): Promise<Pick<AnthropicReport, 'usage' | 'cost'>> {
    const usage: AnthropicUsageRow[] = [];
    const cost: AnthropicCostRow[] = [];
    for (const item of await this.itemsBetween(from, to)) {
      const row = JSON.parse(item.d!.S!) as AnthropicUsageRow & AnthropicCostRow;
      if (item.sk!.S!.startsWith('U#')) usage.push(row);
      else cost.push(row);
    }
    return { usage, cost };
  }

  async recordPoll(record: PollRecord): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tables.summaries, Item: { ...pollKey('last'), d: { S: JSON.stringify(record) } } }));
  }

  async lastPoll(): Promise<PollRecord | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: pollKey('last'), ConsistentRead: true }));
    return response.Item?.d?.S ? (JSON.parse(response.Item.d.S) as PollRecord) : undefined;
  }

  async acquireLock(owner: string, now: number, leaseMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.summaries,
          Item: { ...pollKey('lock'), owner: { S: owner }, until: { N: String(now + leaseMs) } },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseLock(owner: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({ TableName: this.tables.summaries, Key: pollKey('lock'), ConditionExpression: '#owner = :owner', ExpressionAttributeNames: { '#owner': 'owner' }, ExpressionAttributeValues: { ':owner': { S: owner } } }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async lockHeld(now: number): Promise<boolean> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: pollKey('lock'), ConsistentRead: true }));
    return Number(response.Item?.until?.N ?? '0') > now;
  }

  async putDayCosts(costs: ReadonlyMap<string, bigint>): Promise<void> {
    await inParallel([...costs], 8, async ([day, atto]) => {
      await this.client.send(new PutItemCommand({ TableName: this.tables.summaries, Item: { ...dayCostKey(day), atto: { S: atto.toString() } } }));
    });
  }

  async dayCosts(fromDay: string, toDay: string): Promise<Map<string, bigint>> {
    const costs = new Map<string, bigint>();
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.summaries,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': { S: 'ANTDAY' }, ':from': { S: fromDay }, ':to': { S: toDay } },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) costs.set(item.sk!.S!, BigInt(item.atto!.S!));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return costs;
  }

  async backfilled(from: string, to: string): Promise<boolean> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: backfillKey(from, to), ConsistentRead: true }));
    return response.Item !== undefined;
  }

  async markBackfilled(from: string, to: string, at: string): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tables.summaries, Item: { ...backfillKey(from, to), at: { S: at } } }));
  }
}
