import type { AnthropicCostRow, AnthropicUsageRow } from '../domain/anthropicReport.js';
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

/** A notification of CONTRACT §3.3: an alert or a report, published once per `id`. */
export interface AlertNotification {
  type: 'alert';
  /** alert:<budget>:<period>:<kind>:<threshold> — what is notified at most once. */
  id: string;
  budget: string;
  period: string;
  kind: 'actual' | 'forecast';
  threshold: number;
  limit: number;
  /** `percent` for reconciliation alerts (drift and coverage). */
  unit: 'tokens' | 'usd' | 'percent';
  used: number | string;
  usedPct: number;
  /** Forecast alerts: the projected period total and its percentage of the limit. */
  forecast?: number | string;
  forecastPct?: number;
  severity: 'warning' | 'critical';
  subject: string;
  /** The email text: subject, the summary block of the period, top models and tags. */
  message: string;
  /** The SMS text, at most 140 characters. */
  sms: string;
  createdAt: string;
}

export interface ReportNotification {
  type: 'report';
  id: string;
  report: 'daily' | 'monthly';
  period: string;
  /** Reports never go to SMS. */
  severity: 'info';
  subject: string;
  message: string;
  createdAt: string;
}

export type Notification = AlertNotification | ReportNotification;

export interface PublishOptions {
  /** The day's SMS cap is reached: SMS subscribers must not get this one. */
  smsCapped: boolean;
}

/** Where notifications go: SNS on AWS; stdout and notifications.jsonl locally (and SNS when configured). */
export interface NotificationPublisher {
  publish(notification: Notification, options: PublishOptions): Promise<void>;
}

export interface NotificationClaim {
  /** The notification as first claimed: a re-publish sends the very same message. */
  notification: Notification;
  token: string;
}

/**
 * Which notifications were claimed and sent. A claim is a conditional write: one run wins it;
 * a claim never marked sent is taken over once it is older than the lease.
 */
export interface NotificationLedger {
  /** Claims a new notification, or takes over a claim made before `staleBefore` and never marked sent. */
  claim(notification: Notification, now: number, staleBefore: number): Promise<NotificationClaim | undefined>;
  /** Takes over every claim of these months made before `staleBefore` and never marked sent. */
  claimStale(months: readonly string[], now: number, staleBefore: number): Promise<NotificationClaim[]>;
  /** Marks a claim sent; a no-op when another run took the claim over meanwhile. */
  markSent(claim: NotificationClaim, now: number): Promise<void>;
  /** Counts an SMS-eligible notification for the day (once per id) and returns the day's count so far. */
  countSms(day: string, id: string): Promise<number>;
}

/** The first forecast made past the middle of a period, kept for "forecast vs actual" in reports. */
export interface ForecastSnapshot {
  period: string;
  madeAt: string;
  tokens: number;
  costUsd: string;
}

export interface ForecastStore {
  /** Keeps the first snapshot of a period; later ones are ignored. */
  record(snapshot: ForecastSnapshot): Promise<void>;
  find(period: string): Promise<ForecastSnapshot | undefined>;
}

export interface AnthropicReport {
  usage: AnthropicUsageRow[];
  cost: AnthropicCostRow[];
  /** The newest `data_refreshed_at` of the pages read, if Anthropic sent one. */
  dataRefreshedAt: string | null;
}

/** A spend limit as Anthropic reports it (`spend_limits/effective`), amounts in cents. */
export interface SpendLimit {
  period: string;
  amountCents: string | null;
  periodToDateSpendCents: string;
  scope: string;
}

/** Anthropic's Admin API: usage and cost per hour bucket, and spend limits. */
export interface AnthropicReportSource {
  /** Every row of [from, to) in 1-hour buckets, all pages. */
  fetch(from: string, to: string): Promise<AnthropicReport>;
  /** Spend limits where the organization has them; undefined when the API does not offer them. */
  spendLimits(): Promise<SpendLimit[] | undefined>;
}

export interface PollRecord {
  polledAt: string;
  dataRefreshedAt: string | null;
  from: string;
  to: string;
  spendLimits?: SpendLimit[];
  spendLimitsAt?: string;
}

/** Anthropic's figures as polled (summary table). */
export interface AnthropicReportStore {
  /** Replaces everything stored for the hours in [from, to) with these rows. */
  replaceHours(from: number, to: number, report: AnthropicReport): Promise<{ written: number; deleted: number }>;
  /** Rows of the hours that start in [from, to). */
  rowsBetween(from: number, to: number): Promise<Pick<AnthropicReport, 'usage' | 'cost'>>;
  recordPoll(record: PollRecord): Promise<void>;
  lastPoll(): Promise<PollRecord | undefined>;
  /** One poll at a time: a lease item taken with a conditional write. */
  acquireLock(owner: string, now: number, leaseMs: number): Promise<boolean>;
  releaseLock(owner: string): Promise<void>;
  backfilled(from: string, to: string): Promise<boolean>;
  markBackfilled(from: string, to: string, at: string): Promise<void>;
  /** Whether a poll holds the lease at `now`. */
  lockHeld(now: number): Promise<boolean>;
  /** Anthropic-reported cost (post-discount, attodollars) per local day, kept up to date by each poll. */
  putDayCosts(costs: ReadonlyMap<string, bigint>): Promise<void>;
  dayCosts(fromDay: string, toDay: string): Promise<Map<string, bigint>>;
}

/** The newest `anthropic-ratelimit-*` headers a client saw for a model, and when. */
export interface RateLimitSnapshot {
  model: string;
  seenAt: string;
  limits: Record<string, string>;
}

export interface RateLimitStore {
  /** Keeps each snapshot unless a newer one of its model is stored. */
  record(snapshots: readonly RateLimitSnapshot[]): Promise<void>;
  latest(): Promise<RateLimitSnapshot[]>;
}

/** A poll (the lookback window, or a backfill window) handed to the poller function to run on its own: its time limit is far above the API's. */
export interface PollDispatcher {
  dispatch(window?: { from: string; to: string; resume: boolean }): Promise<void>;
}
