import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { UsageEvent } from '../../shared/domain/usage.js';
import { budgetsFromConfig, crosses } from '../../shared/domain/budgets.js';
import { parseConfig } from '../../shared/config/config.js';
import { WINDOW_MS } from '../../shared/storage/keys.js';
import { AGGREGATION_GRACE_MS, aggregateUsage } from '../../shared/usecases/aggregateUsage.js';
import { checkBudgets } from '../../shared/usecases/checkBudgets.js';
import { CLAIM_LEASE_MS } from '../../shared/usecases/notify.js';
import type { AlertNotification } from '../../shared/usecases/ports.js';
import { recordEvents } from '../../shared/usecases/recordEvents.js';
import { publishReport } from '../../shared/usecases/reports.js';
import { NotificationFile } from '../../cli/local/notificationFile.js';
import { alertStores, notificationFile } from '../support/alerts.js';
import { TestClock } from '../support/dynamo.js';

const TEN_AM = Date.parse('2026-12-04T10:00:00Z');

function inputEvent(id: string, model: string, inputTokens: number, timestamp: string, tags: Record<string, string> = {}): UsageEvent {
  return { id, timestamp, model, usage: { input_tokens: inputTokens, output_tokens: 0 }, tags };
}

describe('budget alerts, exactly once (DynamoDB Local)', () => {
  test('crossing 80% then 100% of daily_limit gives one warning, then one critical, and nothing on re-runs', async () => {
    // Prepare
    const clock = new TestClock(TEN_AM);
    const { process, publisher } = await alertStores(clock, { daily_limit: 1_000_000, alert_threshold: 80 });
    const deps = process();

    // Act
    await recordEvents([inputEvent('a', 'claude-haiku-4-5', 812_345, '2026-12-04T09:00:00Z')], deps);
    const first = await checkBudgets(deps);
    const again = await checkBudgets(deps);
    await recordEvents([inputEvent('b', 'claude-haiku-4-5', 187_656, '2026-12-04T09:30:00Z')], deps);
    const second = await checkBudgets(deps);
    const third = await checkBudgets(process());

    // Assess
    expect(first.published).toEqual(['alert:daily_limit:2026-12-04:actual:80']);
    expect(again.published).toEqual([]);
    expect(second.published).toEqual(['alert:daily_limit:2026-12-04:actual:100']);
    expect(third.published).toEqual([]);
    const [warning, critical] = publisher.calls.map((call) => call.notification as AlertNotification);
    expect(warning).toMatchObject({ type: 'alert', budget: 'daily_limit', period: '2026-12-04', kind: 'actual', threshold: 80, limit: 1_000_000, unit: 'tokens', used: 812_345, usedPct: 81.2, severity: 'warning', subject: 'tokmon: daily_limit at 81% (80% threshold)' });
    expect(critical).toMatchObject({ threshold: 100, used: 1_000_001, usedPct: 100, severity: 'critical', subject: 'tokmon: daily_limit at 100% (100% threshold)' });
    expect(critical!.sms.length).toBeLessThanOrEqual(140);
    expect(warning!.message).toContain('Token Usage Summary');
    expect(warning!.message).toContain('Daily Limit:     81.2% used');
    expect(warning!.message).toMatch(/Top models:\n {2}claude-haiku-4-5 +\$0\.812 +1 requests/);
  });

  test('a cost limit alerts on exact dollars and a filtered budget counts only the events it matches', async () => {
    // Prepare: Haiku 4.5 input is $1 per million tokens; the budget counts Opus chat calls only
    const clock = new TestClock(TEN_AM);
    const { process, publisher } = await alertStores(clock, {
      daily_cost_limit_usd: 0.5,
      budgets: [{ name: 'opus-chat', period: 'day', limit_tokens: 1000, thresholds: [50], filter: { model: 'claude-opus-*', tags: { feature: 'chat' } } }],
    });
    const deps = process();

    // Act: Haiku $0.396699 + Opus 600 × $5/M = $0.003 + Sonnet 100 × $3/M = $0.0003 → $0.399999;
    // of the 600 Opus tokens 499 are chat (the budget's 50% is 500)
    await recordEvents(
      [
        inputEvent('h1', 'claude-haiku-4-5', 396_699, '2026-12-04T08:00:00Z'),
        inputEvent('o1', 'claude-opus-4-5', 499, '2026-12-04T08:00:00Z', { feature: 'chat' }),
        inputEvent('o2', 'claude-opus-4-5', 101, '2026-12-04T08:00:00Z', { feature: 'search' }),
        inputEvent('s1', 'claude-sonnet-4-5', 100, '2026-12-04T08:00:00Z', { feature: 'chat' }),
      ],
      deps,
    );
    const before = (await checkBudgets(deps)).published;
    await recordEvents([inputEvent('h2', 'claude-haiku-4-5', 1, '2026-12-04T08:01:00Z')], deps);
    const atFortyCents = (await checkBudgets(deps)).published;
    await recordEvents([inputEvent('o3', 'claude-opus-4-5', 1, '2026-12-04T08:02:00Z', { feature: 'chat' })], deps);
    const atFiveHundredTokens = (await checkBudgets(deps)).published;

    // Assess
    expect(before).toEqual([]);
    expect(atFortyCents).toEqual(['alert:daily_cost_limit_usd:2026-12-04:actual:80']);
    expect(atFiveHundredTokens).toEqual(['alert:opus-chat:2026-12-04:actual:50']);
    const cost = publisher.calls[0]!.notification as AlertNotification;
    expect(cost).toMatchObject({ unit: 'usd', limit: 0.5, used: '0.400000', usedPct: 80 });
  });
});

type Step =
  | { kind: 'ingest'; ids: number[] }
  | { kind: 'check'; concurrent: number; fault: 'none' | 'publishFails' | 'crashAfterPublish' }
  | { kind: 'aggregate' }
  | { kind: 'restart' }
  | { kind: 'advance'; minutes: number };

const POOL = 24;

/** The event of pool id `n`: the same content however often it is sent. */
function pooled(n: number): UsageEvent {
  const opus = n % 3 === 0;
  return inputEvent(`p${n}`, opus ? 'claude-opus-4-5' : 'claude-haiku-4-5', 150 + ((n * 37) % 200), `2026-12-04T09:${String(n % 60).padStart(2, '0')}:00Z`, { feature: n % 2 === 0 ? 'chat' : 'search' });
}

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('ingest' as const), ids: fc.array(fc.integer({ min: 0, max: POOL - 1 }), { minLength: 1, maxLength: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('check' as const), concurrent: fc.integer({ min: 1, max: 3 }), fault: fc.constantFrom('none' as const, 'none' as const, 'publishFails' as const, 'crashAfterPublish' as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'aggregate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 10 }) }) },
);

const PROPERTY_CONFIG = {
  daily_limit: 4000,
  alert_threshold: 50,
  budgets: [{ name: 'opus-chat', period: 'day', limit_tokens: 600, thresholds: [25, 80, 100], filter: { model: 'claude-opus-*', tags: { feature: 'chat' } } }],
};

/** The thresholds the final usage crosses: what must be notified, once each. */
function expectedIds(ingested: Set<number>): string[] {
  const budgets = budgetsFromConfig(parseConfig({ token_monitoring: PROPERTY_CONFIG }, 'test'));
  const ids: string[] = [];
  for (const budget of budgets) {
    let used = 0n;
    for (const n of ingested) {
      const event = pooled(n);
      if (!budget.matches || budget.matches(event)) used += BigInt(event.usage.input_tokens);
    }
    for (const threshold of budget.thresholds) if (crosses(used, budget.limit, threshold)) ids.push(`alert:${budget.name}:2026-12-04:actual:${threshold}`);
  }
  return ids.sort();
}

describe('exactly-once notifications under duplicates, re-runs, restarts, races and crashes (property)', () => {
  test('every crossed threshold is notified exactly once and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 3, maxLength: 12 }), async (steps) => {
        // Prepare
        const clock = new TestClock(TEN_AM);
        const { process } = await alertStores(clock, PROPERTY_CONFIG);
        const file = notificationFile();
        let current = { ...process(), publisher: file };
        const ingested = new Set<number>();
        let failPublishes = 0;
        const published = new Map<string, number>();
        const crashed = new Map<string, number>();
        const publisher = {
          publish: async (...args: Parameters<typeof file.publish>) => {
            if (failPublishes > 0) {
              failPublishes -= 1;
              throw new Error('injected: publish failed');
            }
            published.set(args[0].id, (published.get(args[0].id) ?? 0) + 1);
            return current.publisher.publish(...args);
          },
        };

        // Act
        for (const step of steps) {
          if (step.kind === 'ingest') {
            await recordEvents(step.ids.map(pooled), current);
            for (const n of step.ids) ingested.add(n);
          } else if (step.kind === 'check') {
            if (step.fault === 'publishFails') failPublishes = 1;
            if (step.fault === 'crashAfterPublish') current.ledger.crashBeforeMarkingSent = 1;
            await Promise.allSettled(Array.from({ length: step.concurrent }, (_, index) => checkBudgets({ ...current, ...(index === 0 ? {} : { ledger: process().ledger }), publisher })));
            failPublishes = 0;
            current.ledger.crashBeforeMarkingSent = 0;
            for (const id of current.ledger.crashed.splice(0)) crashed.set(id, (crashed.get(id) ?? 0) + 1);
          } else if (step.kind === 'aggregate') {
            clock.advance(WINDOW_MS + AGGREGATION_GRACE_MS);
            await aggregateUsage(current);
          } else if (step.kind === 'restart') {
            current = { ...process(), publisher: new NotificationFile(file.path, () => {}) };
          } else {
            clock.advance(step.minutes * 60_000);
          }
        }
        // Crashed claims are taken over once their lease has passed.
        clock.advance(CLAIM_LEASE_MS + 1);
        await checkBudgets({ ...current, publisher });

        // Assess: one line per crossed threshold; SNS (no dedupe) gets a second copy only after a crash between publishing and marking sent
        const lines = readLines(file.path);
        expect(lines.map((line) => line.id).sort()).toEqual(expectedIds(ingested));
        for (const [id, count] of published) expect([id, count]).toEqual([id, 1 + (crashed.get(id) ?? 0)]);
      }),
      { numRuns: 25 },
    );
  }, 300_000);
});

function readLines(path: string): { id: string }[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id: string });
}


describe('forecast alerts, the SMS cap and stale claims (DynamoDB Local)', () => {
  test('a day projected past its limit at noon gives one forecast warning, not an actual alert', async () => {
    // Prepare: 600 of 1,000 tokens by noon projects 1,200
    const clock = new TestClock(Date.parse('2026-12-04T12:00:00Z'));
    const { process, publisher } = await alertStores(clock, { budgets: [{ name: 'day-budget', period: 'day', limit_tokens: 1000, thresholds: [100], forecast_thresholds: [100] }] });
    const deps = process();
    await recordEvents([inputEvent('f1', 'claude-haiku-4-5', 600, '2026-12-04T11:00:00Z')], deps);

    // Act
    const noon = await checkBudgets(deps);
    clock.advance(3_600_000);
    const onePm = await checkBudgets(deps);

    // Assess
    expect(noon.published).toEqual(['alert:day-budget:2026-12-04:forecast:100']);
    expect(onePm.published).toEqual([]);
    expect(publisher.calls[0]!.notification).toMatchObject({ kind: 'forecast', used: 600, usedPct: 60, forecast: 1200, forecastPct: 120, severity: 'warning', subject: 'tokmon: day-budget forecast at 120% (100% threshold)' });
  });

  test('critical alerts past the daily SMS cap are published marked sms_capped', async () => {
    // Prepare: three limits exceeded at once, a cap of 2
    const clock = new TestClock(TEN_AM);
    const { process, publisher } = await alertStores(clock, { daily_limit: 100, daily_cost_limit_usd: 0.000001, budgets: [{ name: 'tiny', period: 'day', limit_tokens: 10, thresholds: [100] }], alerts: { sms_daily_cap: 2 } });
    const deps = process();
    await recordEvents([inputEvent('c1', 'claude-haiku-4-5', 1000, '2026-12-04T09:00:00Z')], deps);

    // Act
    await checkBudgets(deps);

    // Assess
    const critical = publisher.calls.filter((call) => call.notification.severity === 'critical');
    expect(critical.map((call) => call.options.smsCapped)).toEqual([false, false, true]);
  });

  test('the SMS counter counts each notification once, however often it is published again', async () => {
    // Prepare
    const clock = new TestClock(TEN_AM);
    const { process } = await alertStores(clock, {});
    const { ledger } = process();

    // Act
    const counts = [await ledger.countSms('2026-12-04', 'a'), await ledger.countSms('2026-12-04', 'a'), await ledger.countSms('2026-12-04', 'b'), await ledger.countSms('2026-12-05', 'a')];

    // Assess
    expect(counts).toEqual([1, 1, 2, 1]);
  });

  test('a published notification that could not be marked sent is published again only after its lease', async () => {
    // Prepare
    const clock = new TestClock(TEN_AM);
    const { process, publisher } = await alertStores(clock, { daily_limit: 100 });
    const failing = process();
    failing.ledger.crashBeforeMarkingSent = 1;
    await recordEvents([inputEvent('s1', 'claude-haiku-4-5', 100, '2026-12-04T09:00:00Z')], failing);

    // Act
    const first = await checkBudgets(failing);
    const restarted = process();
    clock.advance(CLAIM_LEASE_MS - 1);
    const withinLease = await checkBudgets(restarted);
    clock.advance(2);
    const afterLease = await checkBudgets(restarted);
    const later = await checkBudgets(process());

    // Assess: the run went on with the 100% alert; the 80% one, left claimed, is taken over by the check after the lease
    expect(first).toMatchObject({ published: ['alert:daily_limit:2026-12-04:actual:80', 'alert:daily_limit:2026-12-04:actual:100'], failed: [] });
    expect(withinLease).toMatchObject({ published: [], republished: [] });
    expect(afterLease).toMatchObject({ published: ['alert:daily_limit:2026-12-04:actual:80'], republished: [] });
    expect(later).toMatchObject({ published: [], republished: [] });
    expect(publisher.ids()).toEqual(['alert:daily_limit:2026-12-04:actual:80', 'alert:daily_limit:2026-12-04:actual:100', 'alert:daily_limit:2026-12-04:actual:80']);
  });
});

describe('daily and monthly reports (DynamoDB Local)', () => {
  test('a report whose run crashed after claiming it is published by the next budget check after the lease', async () => {
    // Prepare
    const clock = new TestClock(Date.parse('2026-12-01T08:00:00Z'));
    const { process, publisher } = await alertStores(clock, {});
    const crashed = process();
    crashed.ledger.crashBeforeMarkingSent = 1;
    publisher.failNext = 1;

    // Act: the publish itself fails, leaving the monthly report claimed and unsent
    const run = await publishReport('monthly', undefined, { ...crashed, today: () => '2026-12-01' });
    clock.advance(CLAIM_LEASE_MS + 1);
    const check = await checkBudgets(process());

    // Assess
    expect(run).toMatchObject({ period: '2026-11', outcome: 'failed' });
    expect(check.republished).toEqual(['report:monthly:2026-11']);
    expect(publisher.ids()).toEqual(['report:monthly:2026-11']);
  });

  test('the daily report has hand-computed totals, change vs the day before and forecast vs actual, and is published once', async () => {
    // Prepare: Dec 2: 1,000,000 Haiku input tokens ($1.00); Dec 3: 500,000 Haiku input ($0.50) + 100,000 Sonnet 4.5 output ($1.50)
    const clock = new TestClock(Date.parse('2026-12-03T12:00:00Z'));
    const { process, publisher } = await alertStores(clock, { daily_limit: 2_000_000, group_by_tags: ['app'] });
    const deps = process();
    await recordEvents(
      [
        inputEvent('d2', 'claude-haiku-4-5', 1_000_000, '2026-12-02T10:00:00Z', { app: 'web' }),
        inputEvent('d3a', 'claude-haiku-4-5', 250_000, '2026-12-03T10:00:00Z', { app: 'web' }),
      ],
      deps,
    );
    await checkBudgets(deps); // at noon: records the forecast 250,000 × 2 tokens, $0.25 × 2
    clock.current = Date.parse('2026-12-03T20:00:00Z');
    await recordEvents(
      [
        inputEvent('d3b', 'claude-haiku-4-5', 250_000, '2026-12-03T19:00:00Z', { app: 'worker' }),
        { id: 'd3c', timestamp: '2026-12-03T19:30:00Z', model: 'claude-sonnet-4-5', usage: { input_tokens: 0, output_tokens: 100_000 }, tags: { app: 'worker' } },
      ],
      deps,
    );
    clock.current = Date.parse('2026-12-04T08:00:00Z');
    await aggregateUsage(deps);
    const notify = { ...deps, today: () => '2026-12-04' };

    // Act
    const first = await publishReport('daily', undefined, notify);
    const second = await publishReport('daily', undefined, { ...process(), today: () => '2026-12-04' });

    // Assess
    expect(first).toMatchObject({ report: 'daily', period: '2026-12-03', id: 'report:daily:2026-12-03', outcome: 'published', totals: { requests: 3, inputTokens: 500_000, outputTokens: 100_000, costUsd: '2.000000' } });
    expect(second.outcome).toBe('skipped');
    expect(publisher.calls).toHaveLength(1);
    const report = publisher.calls[0]!.notification;
    expect(report).toMatchObject({ type: 'report', report: 'daily', period: '2026-12-03', severity: 'info', subject: 'tokmon daily report - 2026-12-03: $2.00' });
    expect(report.message).toContain('Total cost:      $2.00 (+100% vs 2026-12-02)');
    expect(report.message).toContain('daily_limit: 30% used');
    expect(report.message).toContain('Forecast:        $0.50 (made 2026-12-03 12:00 UTC), actual $2.00 (+300%)');
    expect(report.message).toMatch(/By model:\n {2}claude-sonnet-4-5 +\$1\.50 +1 requests\n {2}claude-haiku-4-5 +\$0\.50 +2 requests/);
    expect(report.message).toMatch(/Top app:\n {2}worker +\$1\.75 +2 requests\n {2}web +\$0\.25 +1 requests/);
  });
});
