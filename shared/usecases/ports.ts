import type { UsageEvent } from '../domain/usage.js';
import type { UsageTotals } from '../domain/usageTotals.js';

/** One request batch as the ingest journal records it, before any event is written. */
export interface IngestBatch {
  batchId: string;
  window: number;
  shard: number;
  ingestedAt: number;
  eventIds: string[];
}

/** Raw events and the ingest journal (the events table). */
export interface EventStore {
  /** Journals the batch; must finish by `deadline` (epoch ms) or throw. */
  recordBatch(batch: IngestBatch, deadline: number): Promise<void>;
  /**
   * Stores each event unless its id is already stored (a conditional insert: the first write
   * wins), marked as written by `batch`. Returns the ids that were already stored. Must finish by
   * `deadline` (epoch ms) or throw.
   */
  storeNewEvents(batch: IngestBatch, events: UsageEvent[], deadline: number): Promise<Set<string>>;
  batchesInWindow(window: number): Promise<IngestBatch[]>;
  /** The events of `batch` whose stored copy was written by this batch (the ones it counts for). */
  eventsWrittenBy(batch: IngestBatch): Promise<UsageEvent[]>;
}

export interface SummaryRow {
  day: string;
  dimension: string;
  totals: UsageTotals;
}

export interface StoredSummaryRow extends SummaryRow {
  /** The last journal window applied to this row; later windows are not in `totals` yet. */
  lastWindow: number;
}

/** Daily rollups and the aggregator's progress (the summary table). */
export interface SummaryStore {
  watermark(): Promise<number | undefined>;
  /** Moves the watermark forward to `window`; never backward. */
  advanceWatermark(window: number): Promise<void>;
  /**
   * Sets the watermark to `window` only if there is none yet, so aggregation of a new store starts
   * no later than the first journaled batch. Implementations may do it once per process.
   */
  startWatermarkAt(window: number): Promise<void>;
  /** Adds each row's totals unless that row already holds `window`; returns how many rows changed. */
  applyWindow(window: number, rows: SummaryRow[]): Promise<number>;
  rowsForDays(days: string[]): Promise<StoredSummaryRow[]>;
}

export type Role = 'ingest' | 'read' | 'admin';

export interface ApiKeyRecord {
  id: string;
  role: Role;
  name: string;
  createdAt: string;
  revokedAt?: string;
}

export interface ApiKeyStore {
  /** The record of an unrevoked key with this SHA-256 hash. */
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  create(keyHash: string, record: ApiKeyRecord): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  /** Returns false when no key has this id. */
  revoke(id: string, at: string): Promise<boolean>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
