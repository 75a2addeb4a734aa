import { randomBytes, randomInt } from 'node:crypto';
import { parseUsageEvent, type UsageEvent } from '../domain/usage.js';
import { INTENT_SHARDS, windowOf } from '../storage/keys.js';
import { AppError } from './errors.js';
import type { Clock, EventStore, IngestBatch, SummaryStore } from './ports.js';

export const MAX_EVENTS_PER_BATCH = 1000;
/**
 * An ingest request must finish writing within this time of its start. The aggregator closes a
 * journal window only 2 minutes after it ends (AGGREGATION_GRACE_MS), so every write of a batch has
 * landed before its window is counted.
 */
export const INGEST_DEADLINE_MS = 20_000;

export interface RejectedEvent {
  index: number;
  code: 'invalid_event';
  message: string;
}

export interface RecordEventsResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

export interface RecordEventsDeps {
  events: EventStore;
  summaries: Pick<SummaryStore, 'startWatermarkAt'>;
  clock: Clock;
}

export function newBatchId(now: number): string {
  // Sorts by time; the random part keeps concurrent batches apart.
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
}

/**
 * Stores a batch of usage events exactly once per event id.
 *
 * 1. The batch is journaled first (one small item listing its ids), so a crash at any later point
 *    leaves a record the aggregator can resolve.
 * 2. Each event is inserted only if its id is not stored yet (a conditional write, so under any
 *    concurrency exactly one copy wins); the stored item carries this batch's id.
 * 3. The aggregator counts an event only in the batch whose id the stored item carries, so however
 *    often and concurrently an id is sent, it is counted once.
 */
export async function recordEvents(inputs: readonly unknown[], deps: RecordEventsDeps): Promise<RecordEventsResult> {
  if (inputs.length === 0 || inputs.length > MAX_EVENTS_PER_BATCH) {
    throw new AppError('too_many_events', `send between 1 and ${MAX_EVENTS_PER_BATCH} events per request`);
  }
  const rejected: RejectedEvent[] = [];
  const unique = new Map<string, UsageEvent>();
  let duplicates = 0;
  inputs.forEach((input, index) => {
    const parsed = parseUsageEvent(input);
    if (!parsed.ok) rejected.push({ index, code: 'invalid_event', message: parsed.reason });
    else if (unique.has(parsed.event.id)) duplicates += 1;
    else unique.set(parsed.event.id, parsed.event);
  });
  if (unique.size === 0) return { accepted: 0, duplicates, rejected };

  // The deadline bounds real elapsed time from here, whatever clock stamps the batch.
  const deadline = Date.now() + INGEST_DEADLINE_MS;
  const start = deps.clock.now();
  const batch: IngestBatch = {
    batchId: newBatchId(start),
    window: windowOf(start),
    shard: randomInt(INTENT_SHARDS),
    ingestedAt: start,
    eventIds: [...unique.keys()],
  };
  // On a new store (once per process after that), make sure aggregation will start at or before this window.
  await deps.summaries.startWatermarkAt(batch.window - 1);
  await deps.events.recordBatch(batch, deadline);
  const stored = await deps.events.storeNewEvents(batch, [...unique.values()], deadline);
  return { accepted: unique.size - stored.size, duplicates: duplicates + stored.size, rejected };
}
