import { afterEach, describe, expect, test } from '@jest/globals';
import { runScheduledJobs } from '../../cli/local/localStack.js';
import { builtInCatalog } from '../../shared/pricing/catalog.js';
import { createRuntime, setRuntime } from '../../shared/runtime/runtime.js';
import { recordEvents } from '../../shared/usecases/recordEvents.js';
import { RecordingPublisher } from '../support/alerts.js';
import { freshStores, TestClock } from '../support/dynamo.js';

afterEach(() => setRuntime(undefined));

/** The runtime `tokmon serve` builds, on fresh tables, with a clock the test moves. */
async function localRuntime(clock: TestClock, config: Record<string, unknown>) {
  const stores = await freshStores(clock, config);
  const publisher = new RecordingPublisher();
  const env = { TOKMON_EVENTS_TABLE: stores.tables.events, TOKMON_SUMMARIES_TABLE: stores.tables.summaries, TOKMON_KEYS_TABLE: stores.tables.apiKeys };
  const runtime = { ...createRuntime({ env, client: stores.client, settings: { config: stores.config, catalog: builtInCatalog() }, publisher }), clock };
  setRuntime(runtime);
  return { runtime, publisher };
}

describe('the local schedule (what EventBridge Scheduler does on AWS)', () => {
  test('the daily report goes out once from reports.hour, and the monthly one on the 1st', async () => {
    // Prepare
    const clock = new TestClock(Date.parse('2026-12-31T07:59:00Z'));
    const { runtime, publisher } = await localRuntime(clock, { reports: { hour: 8 } });
    const reported = new Set<string>();

    // Act
    await runScheduledJobs(runtime, reported);
    const beforeEight = publisher.ids();
    clock.current = Date.parse('2026-12-31T08:00:00Z');
    await runScheduledJobs(runtime, reported);
    await runScheduledJobs(runtime, new Set());
    clock.current = Date.parse('2027-01-01T08:30:00Z');
    await runScheduledJobs(runtime, reported);

    // Assess
    expect(beforeEight).toEqual([]);
    expect(publisher.ids()).toEqual(['report:daily:2026-12-30', 'report:daily:2026-12-31', 'report:monthly:2026-12']);
  });

  test('a run that leaves an alert unpublished fails, so the alarm and a retry see it; the retry publishes it', async () => {
    // Prepare
    const clock = new TestClock(Date.parse('2026-12-04T07:00:00Z'));
    const { runtime, publisher } = await localRuntime(clock, { daily_limit: 100, reports: { daily: false, monthly: false } });
    await recordEvents([{ id: 'x1', timestamp: '2026-12-04T06:59:00Z', model: 'claude-haiku-4-5', usage: { input_tokens: 100, output_tokens: 0 } }], runtime);
    publisher.failNext = 1;

    // Act
    const failed = await runScheduledJobs(runtime, new Set()).catch((error: Error) => error);
    clock.advance(3 * 60_000);
    await runScheduledJobs(runtime, new Set());

    // Assess: the 80% alert failed first and was taken over after the lease; the 100% one went out at once
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toBe('1 notification(s) not published yet: alert:daily_limit:2026-12-04:actual:80');
    expect(publisher.ids()).toEqual(['alert:daily_limit:2026-12-04:actual:100', 'alert:daily_limit:2026-12-04:actual:80']);
  });
});
