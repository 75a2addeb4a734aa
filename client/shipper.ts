import type { UsageEvent } from '../shared/domain/usage.js';
import type { Spool } from './spool.js';

export interface ShipperOptions {
  endpoint: string;
  apiKey: string;
  spool: Spool;
  batchSize: number;
  intervalMs: number;
  attempts: number;
  warn: (message: string) => void;
}

const MAX_BODY_BYTES = 900 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Sends captured events to the ingestion endpoint in the background: batched by size and time,
 * retried with exponential backoff and jitter, and spooled when the endpoint cannot take them.
 * The next monitor on the same spool sends spooled events; the server counts each id once.
 */
export class Shipper {
  private buffer: UsageEvent[] = [];
  private inFlight = new Set<Promise<void>>();
  /** Events being sent right now: spooled again if the process exits first (a resend is counted once). */
  private sending = new Set<UsageEvent[]>();
  private timer: NodeJS.Timeout | undefined;
  private warnedRejected = false;

  constructor(private readonly options: ShipperOptions) {
    this.timer = setInterval(() => this.sendBuffered(), options.intervalMs);
    this.timer.unref();
    this.track(this.drainSpool());
  }

  enqueue(event: UsageEvent): void {
    this.buffer.push(event);
    if (this.buffer.length >= this.options.batchSize) this.sendBuffered();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private sendBuffered(): void {
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    this.track(this.deliver(events));
  }

  /** Sends or spools; never throws. */
  private async deliver(events: UsageEvent[]): Promise<void> {
    this.sending.add(events);
    try {
      if (!(await this.send(events))) this.options.spool.write(events);
    } finally {
      this.sending.delete(events);
    }
  }

  /** Splits into requests the endpoint takes (≤ 1,000 events, < 1 MiB); true when every part was accepted. */
  private async send(events: UsageEvent[]): Promise<boolean> {
    const parts: UsageEvent[][] = [];
    let part: UsageEvent[] = [];
    let size = 0;
    for (const event of events) {
      const length = Buffer.byteLength(JSON.stringify(event)) + 1;
      if (part.length > 0 && (part.length >= 1000 || size + length > MAX_BODY_BYTES)) {
        parts.push(part);
        part = [];
        size = 0;
      }
      part.push(event);
      size += length;
    }
    if (part.length > 0) parts.push(part);
    const results = await Promise.all(parts.map((chunk) => this.post(chunk)));
    const failed = parts.filter((_, index) => !results[index]).flat();
    if (failed.length > 0 && failed.length < events.length) {
      this.options.spool.write(failed);
      return true;
    }
    return failed.length === 0;
  }

  /** 'permanent' when the endpoint refused the request in a way no retry will change (400, 413). */
  private lastFailure: 'retryable' | 'permanent' = 'retryable';

  private async post(events: UsageEvent[]): Promise<boolean> {
    this.lastFailure = 'retryable';
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(5_000, 200 * 2 ** attempt) * (0.5 + Math.random()));
      try {
        const response = await fetch(`${this.options.endpoint.replace(/\/+$/, '')}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(15_000),
        });
        if (response.ok) {
          const result = (await response.json()) as { rejected?: { index: number; message: string }[] };
          if (result.rejected?.length && !this.warnedRejected) {
            this.warnedRejected = true;
            this.options.warn(`tokmon: the endpoint rejected ${result.rejected.length} event(s), e.g. ${result.rejected[0]!.message}`);
          }
          return true;
        }
        // 4xx other than 408/429 will not get better by retrying now; keep the events in the spool.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          if (response.status === 400 || response.status === 413) this.lastFailure = 'permanent';
          return false;
        }
      } catch {
        // network error or timeout: retry
      }
    }
    return false;
  }

  private async drainSpool(): Promise<void> {
    for (const file of this.options.spool.claim()) {
      if (await this.send(file.events)) this.options.spool.done(file.path);
      else if (this.lastFailure === 'permanent') {
        // One file the endpoint refuses must not block every later one.
        this.options.spool.reject(file.path);
        this.options.warn(`tokmon: the endpoint refused spooled usage; moved it aside as ${file.path.replace(/claimed-[^-]+-[^-]+-/, 'rejected-')}`);
      } else {
        this.options.spool.release(file.path);
        return;
      }
    }
  }

  /** Resolves once every event handed over so far was accepted or is safely in the spool. */
  async flush(): Promise<void> {
    this.sendBuffered();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Spools what is buffered or still being sent, synchronously (for process exit). */
  spoolUndelivered(): void {
    const events = [...this.buffer, ...[...this.sending].flat()];
    this.buffer = [];
    this.sending.clear();
    this.options.spool.write(events);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
