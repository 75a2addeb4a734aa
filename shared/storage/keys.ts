/**
 * Every DynamoDB key tokmon writes is built here, so item shapes stay in one place.
 *
 * Events table (`pk`, `sk`; events use sk "EVT"):
 *   EVT#<event id>                       one item per event id: the stored event and the batch that wrote it
 *   ING#<window>#<shard> / <batch id>   ingest journal: one item per request batch, listing its event ids
 * Summary table (`pk`, `sk`):
 *   DAY#<YYYY-MM-DD> / total | model#<id> | tier#<tier>#<id> | tag:<name>#<value> | budget#<name>   daily rollups
 *   AGG / watermark                      the last aggregated window
 *   NTF#<YYYY-MM> / <notification id>    notification ledger: claimed, then sent (alerts and reports of that month)
 *   SMS#<YYYY-MM-DD> / count             critical notifications of the day, for the SMS cap
 *   FC#<period> / total                  the first forecast made past the middle of a day or month
 *   ANT#<UTC day> / U#<hour>#<group> | C#<hour>#<group>   Anthropic's usage and cost per hour bucket
 *   ANTPOLL / last | lock                the last Admin-API poll; the lease that keeps polls one at a time
 *   ANTBF / <from>/<to>                  backfill windows already done
 *   ANTDAY / <YYYY-MM-DD>                Anthropic-reported cost of a local day (for the balance)
 *   RL / <model>                         the newest rate-limit headers clients reported for a model
 * Keys table (`pk`): KEY#<sha-256 of the key>
 */

/** Ingest journal windows are 5 minutes: the unit the aggregator closes and applies exactly once. */
export const WINDOW_MS = 5 * 60_000;
/** Intent items are spread over this many partitions so a busy window is never one hot key. */
export const INTENT_SHARDS = 4;

export type DynamoKey = Record<string, { S: string }>;

export function windowOf(ms: number): number {
  return Math.floor(ms / WINDOW_MS);
}

export function eventKey(eventId: string): DynamoKey {
  return { pk: { S: `EVT#${eventId}` }, sk: { S: 'EVT' } };
}

export function intentPartition(window: number, shard: number): string {
  return `ING#${window}#${shard}`;
}

export function intentKey(window: number, shard: number, batchId: string): DynamoKey {
  return { pk: { S: intentPartition(window, shard) }, sk: { S: batchId } };
}

export const TOTAL_DIMENSION = 'total';

export function modelDimension(model: string): string {
  return `model#${model}`;
}

/** A model within one service tier (standard, batch, priority): reconciliation prices each tier at Anthropic's own rates. */
export function tierDimension(tier: string, model: string): string {
  return `tier#${tier}#${model}`;
}

/** An event without the tag is grouped under the empty value, shown as `null` in summaries. */
export function tagDimension(name: string, value: string | undefined): string {
  return `tag:${name}#${value ?? ''}`;
}

export function dayPartition(day: string): string {
  return `DAY#${day}`;
}

export function summaryKey(day: string, dimension: string): DynamoKey {
  return { pk: { S: dayPartition(day) }, sk: { S: dimension } };
}

export function watermarkKey(): DynamoKey {
  return { pk: { S: 'AGG' }, sk: { S: 'watermark' } };
}

export function apiKeyKey(keyHash: string): DynamoKey {
  return { pk: { S: `KEY#${keyHash}` } };
}

export function notificationPartition(month: string): string {
  return `NTF#${month}`;
}

export function notificationKey(month: string, id: string): DynamoKey {
  return { pk: { S: notificationPartition(month) }, sk: { S: id } };
}

export function smsCounterKey(day: string): DynamoKey {
  return { pk: { S: `SMS#${day}` }, sk: { S: 'count' } };
}

export function forecastKey(period: string): DynamoKey {
  return { pk: { S: `FC#${period}` }, sk: { S: 'total' } };
}

export function anthropicPartition(utcDay: string): string {
  return `ANT#${utcDay}`;
}

export function pollKey(name: 'last' | 'lock'): DynamoKey {
  return { pk: { S: 'ANTPOLL' }, sk: { S: name } };
}

export function backfillKey(from: string, to: string): DynamoKey {
  return { pk: { S: 'ANTBF' }, sk: { S: `${from}/${to}` } };
}

export function rateLimitKey(model: string): DynamoKey {
  return { pk: { S: 'RL' }, sk: { S: model } };
}

export function dayCostKey(day: string): DynamoKey {
  return { pk: { S: 'ANTDAY' }, sk: { S: day } };
}
