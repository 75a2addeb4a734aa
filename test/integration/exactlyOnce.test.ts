import { describe, expect, test } from '@jest/globals';
import type { UsageEvent } from '../../shared/domain/usage.js';
import { addToTotals, emptyTotals, totalsToJson } from '../../shared/domain/usageTotals.js';
import { priceUsage } from '../../shared/pricing/priceUsage.js';
import { WINDOW_MS } from '../../shared/storage/keys.js';
import { AGGREGATION_GRACE_MS, aggregateUsage } from '../../shared/usecases/aggregateUsage.js';
import { getSummary } from '../../shared/usecases/getSummary.js';
import type { EventStore, IngestBatch } from '../../shared/usecases/ports.js';
import { recordEvents } from '../../shared/usecases/recordEvents.js';
import { freshStores, TestClock } from '../support/dynamo.js';
import { makeEvents } from '../support/generators.js';

const START = Date.parse('2026-12-04T10:00:00Z');

function expectedTotals(events: UsageEvent[]) {
  const totals = emptyTotals();
  for (const event of events) addToTotals(totals, priceUsage(event));
  return totalsToJson(totals);
}

async function daySummary(stores: Awaited<ReturnType<typeof freshStores>>, day = '2026-12-03', groupBy?: string) {
  return (await getSummary({ period: 'day', date: day, groupBy }, stores)).summary;
}

/** Moves the clock past every open window and aggregates until caught up. */
async function aggregateAll(stores: Awaited<ReturnType<typeof freshStores>>, clock: TestClock) {
  clock.advance(WINDOW_MS + AGGREGATION_GRACE_MS + 1);
  return aggregateUsage(stores);
}

function shuffle<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('exactly-once ingestion and aggregation (DynamoDB Local)', () => {
  test('300 events delivered 3 times concurrently, plus changed resends, count exactly 300 with exact sums', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    const events = makeEvents(300);
    const changed = events.slice(0, 60).map((event) => ({ ...event, timestamp: event.timestamp.replace(/:00Z$/, ':30Z'), tags: { app: 'resent' } }));
    const deliveries = shuffle([...events, ...events, ...events, ...changed], 7);
    const batches = Array.from({ length: Math.ceil(deliveries.length / 37) }, (_, i) => deliveries.slice(i * 37, (i + 1) * 37));

    // Act
    const results = await Promise.all(batches.map((batch) => recordEvents(batch, stores)));
    const live = await daySummary(stores);
    await aggregateAll(stores, clock);
    const aggregated = await daySummary(stores);

    // Assess
    const accepted = results.reduce((sum, result) => sum + result.accepted, 0);
    const duplicates = results.reduce((sum, result) => sum + result.duplicates, 0);
    expect(accepted).toBe(300);
    expect(duplicates).toBe(deliveries.length - 300);
    const originals = new Map(events.map((event) => [event.id, event]));
    // Changed resends may have won a race; their usage equals the original's, so the sums are the same.
    const expected = expectedTotals([...originals.values()]);
    expect(live.totals).toEqual(expected);
    expect(aggregated.totals).toEqual(expected);
  });

  test('the same batch sent again after it was stored counts only duplicates', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    const events = makeEvents(50);
    await recordEvents(events, stores);

    // Act
    const again = await recordEvents(events, stores);

    // Assess
    expect(again).toEqual({ accepted: 0, duplicates: 50, rejected: [] });
    expect((await daySummary(stores)).totals.requests).toBe(50);
  });

  test.each([0, 1, 2])('a crash after %i storage writes of a request still ends exact once the client retries', async (writesBeforeCrash) => {
    // Prepare: an event store that dies after N writes, as a Lambda would mid-request
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    const events = makeEvents(120);
    let writes = 0;
    const crash = () => {
      if (writes++ >= writesBeforeCrash) throw new Error('injected crash');
    };
    const crashing: EventStore = {
      recordBatch: async (batch: IngestBatch, deadline: number) => {
        crash();
        await stores.events.recordBatch(batch, deadline);
      },
      storeNewEvents: async (batch, list, deadline) => {
        // write 2 stores the first 50 events; a crash after it leaves the other 70 unwritten
        crash();
        await stores.events.storeNewEvents(batch, list.slice(0, 50), deadline);
        crash();
        return stores.events.storeNewEvents(batch, list.slice(50), deadline);
      },
      batchesInWindow: (window) => stores.events.batchesInWindow(window),
      eventsWrittenBy: (batch) => stores.events.eventsWrittenBy(batch),
    };

    // Act
    await expect(recordEvents(events, { ...stores, events: crashing })).rejects.toThrow('injected crash');
    const retry = await recordEvents(events, stores);
    await aggregateAll(stores, clock);

    // Assess
    expect(retry.accepted + retry.duplicates).toBe(120);
    expect((await daySummary(stores)).totals).toEqual(expectedTotals(events));
  });

  test('an aggregator that crashes mid-window, re-runs and runs concurrently still applies each window once', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    const events = makeEvents(200);
    for (let i = 0; i < 4; i++) {
      await recordEvents(events.slice(i * 50, (i + 1) * 50), stores);
      clock.advance(WINDOW_MS);
    }
    clock.advance(AGGREGATION_GRACE_MS + WINDOW_MS);
    let applied = 0;
    const crashingSummaries = {
      ...stores.summaries,
      watermark: () => stores.summaries.watermark(),
      advanceWatermark: (window: number) => stores.summaries.advanceWatermark(window),
      startWatermarkAt: (window: number) => stores.summaries.startWatermarkAt(window),
      rowsForDays: (days: string[]) => stores.summaries.rowsForDays(days),
      applyWindow: async (window: number, rows: Parameters<typeof stores.summaries.applyWindow>[1]) => {
        if (++applied === 2) {
          await stores.summaries.applyWindow(window, rows.slice(0, 3));
          throw new Error('injected crash');
        }
        return stores.summaries.applyWindow(window, rows);
      },
    };

    // Act
    await expect(aggregateUsage({ ...stores, summaries: crashingSummaries })).rejects.toThrow('injected crash');
    await Promise.all([aggregateUsage(stores), aggregateUsage(stores), aggregateUsage(stores)]);
    await aggregateUsage(stores);

    // Assess
    expect((await daySummary(stores)).totals).toEqual(expectedTotals(events));
  });

  test('live and aggregated summaries agree per model and per tag, unknown models counted as unpriced', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    const events = makeEvents(80);
    await recordEvents(events, stores);

    // Act
    const liveByModel = await daySummary(stores, '2026-12-03', 'model');
    await aggregateAll(stores, clock);
    const byModel = await daySummary(stores, '2026-12-03', 'model');
    const byApp = await daySummary(stores, '2026-12-03', 'tag:app');

    // Assess
    expect(byModel).toEqual({ ...liveByModel, dataAsOf: byModel.dataAsOf });
    const imaginary = byModel.groups!.find((group) => group.key === 'claude-imaginary-9')!;
    expect(imaginary.totals).toMatchObject({ requests: 20, unpricedRequests: 20, costUsd: '0.000000' });
    expect(byApp.groups!.map((group) => group.key).sort()).toEqual(['web', 'worker']);
    const appTotal = byApp.groups!.reduce((sum, group) => sum + group.totals.requests, 0);
    expect(appTotal).toBe(80);
  });

  test('a late event for a day whose windows were already aggregated is added to that day', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    await recordEvents(makeEvents(10, '2026-11-20', 'early'), stores);
    await aggregateAll(stores, clock);

    // Act
    const late = makeEvents(1, '2026-11-20', 'late');
    await recordEvents(late, stores);
    const beforeAggregation = await daySummary(stores, '2026-11-20');
    await aggregateAll(stores, clock);
    const after = await daySummary(stores, '2026-11-20');

    // Assess
    expect(beforeAggregation.totals.requests).toBe(11);
    expect(after.totals).toEqual(expectedTotals([...makeEvents(10, '2026-11-20', 'early'), ...late]));
  });

  test('a month summary adds its days and reports the configured limits', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock, { monthly_limit: 100_000, monthly_cost_limit_usd: 1 });
    const events = [...makeEvents(10, '2026-11-01', 'a'), ...makeEvents(10, '2026-11-30', 'b'), ...makeEvents(5, '2026-12-01', 'c')];
    await recordEvents(events, stores);
    await aggregateAll(stores, clock);

    // Act
    const { summary } = await getSummary({ period: 'month', date: '2026-11' }, stores);

    // Assess
    const november = expectedTotals(events.slice(0, 20));
    expect(summary.totals).toEqual(november);
    expect(summary.start).toBe('2026-11-01T00:00:00.000Z');
    expect(summary.end).toBe('2026-12-01T00:00:00.000Z');
    const tokens = november.inputTokens + november.outputTokens + november.cacheCreationInputTokens + november.cacheReadInputTokens;
    expect(summary.limits).toEqual([
      { name: 'monthly_limit', unit: 'tokens', limit: 100_000, used: tokens, usedPct: Math.round((tokens / 100_000) * 1000) / 10 },
      { name: 'monthly_cost_limit_usd', unit: 'usd', limit: 1, used: november.costUsd, usedPct: expect.any(Number) },
    ]);
  });

  test('a batch of 1,000 events with 500-character ids is journaled in parts and counted exactly', async () => {
    // Prepare: 1,000 ids of 500 characters would not fit one 400 KB journal item
    const clock = new TestClock(START);
    const stores = await freshStores(clock);
    const events = makeEvents(1000, '2026-12-03', 'x'.repeat(490));

    // Act
    const result = await recordEvents(events, stores);
    const live = await daySummary(stores);
    await aggregateAll(stores, clock);

    // Assess
    expect(result.accepted).toBe(1000);
    expect(live.totals).toEqual(expectedTotals(events));
    expect((await daySummary(stores)).totals).toEqual(expectedTotals(events));
  });

  test('on a store with no watermark the first batch starts it, so an aggregator that first runs hours later still counts it', async () => {
    // Prepare
    const clock = new TestClock(START);
    const stores = await freshStores(clock, {}, { watermark: false });
    const events = makeEvents(20);

    // Act
    await recordEvents(events, stores);
    clock.advance(6 * 60 * 60_000);
    await aggregateUsage(stores);

    // Assess
    expect((await daySummary(stores)).totals).toEqual(expectedTotals(events));
  });
});
