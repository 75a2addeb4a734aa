import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { formatUsd } from '../shared/domain/money.js';
import { parseUsageRecord } from '../shared/domain/usage.js';
import { addToTotals, breakdownToJson, emptyTotals, totalsToJson } from '../shared/domain/usageTotals.js';
import type { CostEngine } from '../shared/pricing/priceUsage.js';
import { renderSummaryBlock } from '../shared/render/summaryBlock.js';

export interface PriceCommandOptions {
  input: Readable;
  stdout: Writable;
  stderr: Writable;
  json: boolean;
  engine: CostEngine;
  /** Prices of this instant apply to raw Messages API responses, which carry no timestamp. */
  now: Date;
  trackCacheSavings: boolean;
}

const FLUSH_AT = 64 * 1024;

/** Writes through a buffer and waits for 'drain', so output to a slow pipe never piles up in memory. */
class BufferedWriter {
  private buffer = '';
  constructor(private readonly stream: Writable) {}

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    const chunk = this.buffer;
    this.buffer = '';
    if (chunk && !this.stream.write(chunk)) await new Promise((resolve) => this.stream.once('drain', resolve));
  }
}

/**
 * `tokmon price`: prices a JSONL stream line by line in constant memory. Bad lines are reported
 * as `line N: <reason>` and skipped; the exit code is 1 when there were any.
 */
export async function runPriceCommand(options: PriceCommandOptions): Promise<number> {
  const { engine, json } = options;
  const out = new BufferedWriter(options.stdout);
  const errors = new BufferedWriter(options.stderr);
  const totals = emptyTotals();
  const defaultTimestamp = options.now.toISOString();
  let lineNumber = 0;
  let badLines = 0;
  let first = true;

  if (json) await out.write('{"events":[');
  const lines = createInterface({ input: options.input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      badLines += 1;
      await errors.write(`line ${lineNumber}: not valid JSON\n`);
      continue;
    }
    const record = parseUsageRecord(value, defaultTimestamp);
    if (!record.ok) {
      badLines += 1;
      await errors.write(`line ${lineNumber}: ${record.reason}\n`);
      continue;
    }
    const priced = engine.priceUsage(record.event);
    addToTotals(totals, priced);
    if (json) {
      const item = priced.priced
        ? {
            id: record.event.id,
            model: record.event.model,
            priced: true,
            costUsd: formatUsd(priced.totalUsd),
            cacheSavingsUsd: formatUsd(priced.cacheSavingsUsd),
            breakdown: breakdownToJson(priced.breakdown),
          }
        : { id: record.event.id, model: record.event.model, priced: false, reason: priced.reason, costUsd: null, cacheSavingsUsd: null, breakdown: null };
      await out.write((first ? '' : ',') + JSON.stringify(item));
      first = false;
    }
  }
  if (json) await out.write(`],"totals":${JSON.stringify(totalsToJson(totals))}}\n`);
  else await out.write(renderSummaryBlock(totals, { trackCacheSavings: options.trackCacheSavings }) + '\n');
  if (badLines > 0) await errors.write(`${badLines} of ${lineNumber} lines could not be priced\n`);
  await out.flush();
  await errors.flush();
  return badLines > 0 ? 1 : 0;
}
