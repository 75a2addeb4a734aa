import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenMonitoringConfig } from '../shared/config/config.js';
import { formatUsd } from '../shared/domain/money.js';
import type { UsageEvent } from '../shared/domain/usage.js';
import { addToTotals, emptyTotals, limitTokens, totalsToJson, type UsageTotals, type UsageTotalsJson } from '../shared/domain/usageTotals.js';
import type { CostEngine } from '../shared/pricing/priceUsage.js';
import { renderSummaryBlock } from '../shared/render/summaryBlock.js';
import { Shipper } from './shipper.js';
import { Spool } from './spool.js';

export interface MonitorSettings {
  config: TokenMonitoringConfig;
  engine: CostEngine;
  endpoint?: string;
  apiKey?: string;
  readKey?: string;
  tags: Record<string, string>;
  spoolDir: string;
  spoolMaxBytes: number;
  usageLogPath: string;
  batchSize: number;
  flushIntervalMs: number;
  warn: (message: string) => void;
}

/** Thrown instead of calling Anthropic when `enforce: true` and the server reports today's limit exceeded. */
export class BudgetExceededError extends Error {
  constructor(
    readonly limit: string,
    readonly usedPct: number,
  ) {
    super(`tokmon: ${limit} is exceeded (${usedPct}% used); the call was not sent`);
    this.name = 'BudgetExceededError';
  }
}

export function defaultSpoolDir(): string {
  return join(tmpdir(), 'tokmon-spool');
}

const ENFORCE_CACHE_MS = 30_000;

/**
 * One monitor per wrapped client: prices captured calls, keeps this process's totals, logs and
 * ships events, warns on local limits, and checks the server's limits when enforcing.
 */
export class TokenMonitor {
  private readonly totals: UsageTotals = emptyTotals();
  private readonly shipper: Shipper | undefined;
  private readonly captures = new Set<Promise<void>>();
  private readonly warned = new Set<number>();
  private enforcement: { blocked?: BudgetExceededError; until: number } = { until: 0 };
  private closed = false;

  constructor(private readonly settings: MonitorSettings) {
    if (settings.endpoint && settings.apiKey) {
      this.shipper = new Shipper({
        endpoint: settings.endpoint,
        apiKey: settings.apiKey,
        spool: new Spool(settings.spoolDir, settings.spoolMaxBytes, settings.warn),
        batchSize: settings.batchSize,
        intervalMs: settings.flushIntervalMs,
        attempts: 3,
        warn: settings.warn,
      });
    }
  }

  get engine(): CostEngine {
    return this.settings.engine;
  }

  /** Tags added to every event of this client. */
  get tags(): Record<string, string> {
    return this.settings.tags;
  }

  /** Tracks background capture work so flush() can wait for calls still streaming. */
  track(work: Promise<UsageEvent[]>): void {
    const tracked = work
      .then((events) => events.forEach((event) => this.record(event)))
      .catch(() => undefined)
      .finally(() => this.captures.delete(tracked));
    this.captures.add(tracked);
  }

  record(event: UsageEvent): void {
    if (this.closed) return;
    const priced = this.settings.engine.priceUsage(event);
    addToTotals(this.totals, priced);
    if (this.settings.config.log_usage) {
      try {
        const costUsd = priced.priced ? formatUsd(priced.totalUsd) : null;
        appendFileSync(this.settings.usageLogPath, JSON.stringify({ ...event, costUsd }) + '\n');
      } catch (error) {
        this.settings.warn(`tokmon: cannot append to ${this.settings.usageLogPath}: ${(error as Error).message}`);
      }
    }
    this.checkLocalLimit();
    this.shipper?.enqueue(event);
  }

  private checkLocalLimit(): void {
    const limit = this.settings.config.daily_limit;
    if (limit === undefined) return;
    const used = limitTokens(this.totals);
    for (const threshold of [this.settings.config.alert_threshold, 100]) {
      if (used * 100 >= limit * threshold && !this.warned.has(threshold)) {
        this.warned.add(threshold);
        this.settings.warn(`tokmon: this process has used ${used.toLocaleString('en-US')} tokens, ${threshold}% of daily_limit (${limit.toLocaleString('en-US')})`);
      }
    }
  }

  /** With `enforce: true`: refuse a call when the server says today's limit is exceeded (cached 30 s). */
  async checkBudget(): Promise<void> {
    if (!this.settings.config.enforce || !this.settings.endpoint || !this.settings.readKey) return;
    const now = Date.now();
    if (now >= this.enforcement.until) {
      // The previous verdict stands until the new one arrives; without a date the server uses its own today.
      this.enforcement.until = now + ENFORCE_CACHE_MS;
      try {
        const response = await fetch(`${this.settings.endpoint.replace(/\/+$/, '')}/v1/summary?period=day`, {
          headers: { authorization: `Bearer ${this.settings.readKey}` },
          signal: AbortSignal.timeout(2_000),
        });
        if (response.ok) {
          const summary = (await response.json()) as { limits?: { name: string; usedPct: number }[] };
          const over = summary.limits?.find((limit) => limit.usedPct >= 100);
          this.enforcement.blocked = over ? new BudgetExceededError(over.name, over.usedPct) : undefined;
        }
      } catch {
        // the monitor never blocks a call because it cannot reach its own server
      }
    }
    if (this.enforcement.blocked) throw this.enforcement.blocked;
  }

  /** This process's totals so far (contract JSON shape). */
  totalsJson(): UsageTotalsJson {
    return totalsToJson(this.totals);
  }

  summary(): string {
    const limit = this.settings.config.daily_limit;
    const used = limitTokens(this.totals);
    const limits = limit === undefined ? [] : [{ name: 'daily_limit', unit: 'tokens' as const, limit, used, usedPct: Math.round((used / limit) * 1000) / 10 }];
    return renderSummaryBlock(this.totals, { limits, trackCacheSavings: this.settings.config.track_cache_savings });
  }

  /** Resolves once every captured event is accepted by the endpoint or safely in the spool. */
  async flush(): Promise<void> {
    while (this.captures.size > 0) await Promise.all([...this.captures]);
    await this.shipper?.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.shipper?.stop();
  }

  /** For process exit: whatever was not delivered goes to the spool, synchronously. */
  spoolUndelivered(): void {
    this.shipper?.spoolUndelivered();
  }
}
