import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AdminApiSource } from '../../shared/adapters/anthropic/adminApiSource.js';
import { DynamoAnthropicReportStore } from '../../shared/adapters/dynamodb/anthropicStore.js';
import { DynamoRateLimitStore } from '../../shared/adapters/dynamodb/alertStores.js';
import { dayOf } from '../../shared/domain/time.js';
import { getBalance } from '../../shared/usecases/balance.js';
import { aggregateUsage } from '../../shared/usecases/aggregateUsage.js';
import { getReconciliation, pollAnthropic, requestPoll } from '../../shared/usecases/reconciliation.js';
import { buildReport, reportText } from '../../shared/usecases/reports.js';
import { recordEvents } from '../../shared/usecases/recordEvents.js';
import { alertStores } from '../support/alerts.js';
import { TestClock } from '../support/dynamo.js';
import { costRow, startFakeAdminApi, usageRow, type FakeAdminApi } from '../support/fakeAdminApi.js';

let api: FakeAdminApi;

beforeAll(async () => {
  api = await startFakeAdminApi();
});

afterAll(async () => {
  await api.close();
});

const NOW = Date.parse('2026-12-04T10:30:00Z');

async function pollerDeps(clock: TestClock, config: Record<string, unknown> = {}, adminKey = api.adminKey) {
  const { process, publisher, stores } = await alertStores(clock, config);
  const source = new AdminApiSource(adminKey, { baseURL: api.url, maxRetries: 3 });
  const make = () => ({
    ...process(),
    anthropicStore: new DynamoAnthropicReportStore(stores.client, stores.tables),
    rateLimits: new DynamoRateLimitStore(stores.client, stores.tables),
    anthropic: async () => source,
    today: () => dayOf(clock.now(), 'UTC'),
  });
  return { deps: make(), make, publisher };
}

/** Dec 3: Sonnet 4.5 in two hours (3 + 2 requests), and Haiku 4.5 from the Console (no api key). */
function seedDecemberThird() {
  api.usage = [
    usageRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5-20250929', { input: 1000, output: 200, read: 5000, write5m: 300, requests: 3 }),
    usageRow('2026-12-03T10:00:00Z', 'claude-sonnet-4-5-20250929', { input: 500, output: 100, requests: 2 }),
    usageRow('2026-12-03T11:00:00Z', 'claude-haiku-4-5-20251001', { input: 10_000, requests: 1 }, { api_key_id: null, workspace_id: null }),
  ];
  // Sonnet 4.5 list: 1,500 input × $3/M = 0.45¢, 300 output × $15/M = 0.45¢, 5,000 reads × $0.30/M = 0.15¢,
  // 300 5-minute writes × $3.75/M = 0.1125¢; a 10% discount on input. Haiku: 10,000 × $1/M = 1¢.
  api.cost = [
    costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5-20250929', 'uncached_input_tokens', '0.27', '0.3'),
    costRow('2026-12-03T10:00:00Z', 'claude-sonnet-4-5-20250929', 'uncached_input_tokens', '0.135', '0.15'),
    costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5-20250929', 'output_tokens', '0.3'),
    costRow('2026-12-03T10:00:00Z', 'claude-sonnet-4-5-20250929', 'output_tokens', '0.15'),
    costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5-20250929', 'cache_read_input_tokens', '0.15'),
    costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5-20250929', 'cache_creation.ephemeral_5m_input_tokens', '0.1125'),
    costRow('2026-12-03T11:00:00Z', 'claude-haiku-4-5-20251001', 'uncached_input_tokens', '1'),
    costRow('2026-12-03T11:00:00Z', null, null, '2.5', '2.5', 'code_execution'),
  ];
  api.dataRefreshedAt = '2026-12-04T10:00:00Z';
  api.pageSize = 2;
}

const trackedEvents = [
  { id: 't1', timestamp: '2026-12-03T09:10:00Z', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 5000, cache_creation_input_tokens: 300 } },
  { id: 't2', timestamp: '2026-12-03T10:10:00Z', model: 'claude-sonnet-4-5', usage: { input_tokens: 500, output_tokens: 100 } },
];

describe('Admin-API poller and reconciliation (fake analytics API, DynamoDB Local)', () => {
  test('polling twice stores Anthropic exact per-day, per-model figures once, beside tracked usage', async () => {
    // Prepare
    seedDecemberThird();
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    await recordEvents(trackedEvents, deps);

    // Act
    const first = await pollAnthropic(deps);
    const second = await pollAnthropic(deps);
    const reconciliation = await getReconciliation({ from: '2026-12-03', to: '2026-12-03' }, deps);

    // Assess
    expect(first).toMatchObject({ polled: true, from: '2026-12-02T10:00:00.000Z', to: '2026-12-04T11:00:00.000Z', usageRows: 3, costRows: 8, written: 11, deleted: 0, dataRefreshedAt: '2026-12-04T10:00:00Z' });
    expect(second).toMatchObject({ polled: true, written: 11, deleted: 0 });
    expect(reconciliation.rows).toEqual([
      {
        date: '2026-12-03',
        model: 'claude-haiku-4-5',
        tracked: { requests: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: '0.000000' },
        anthropic: { requests: 1, inputTokens: 10_000, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: '0.010000', listCostUsd: '0.010000', webSearchRequests: 0 },
        coveragePct: 0,
        costDriftPct: null,
      },
      {
        date: '2026-12-03',
        model: 'claude-sonnet-4-5',
        tracked: { requests: 2, inputTokens: 1500, outputTokens: 300, cacheCreationInputTokens: 300, cacheReadInputTokens: 5000, costUsd: '0.011625' },
        anthropic: { requests: 5, inputTokens: 1500, outputTokens: 300, cacheCreationInputTokens: 300, cacheReadInputTokens: 5000, costUsd: '0.011175', listCostUsd: '0.011625', webSearchRequests: 0 },
        coveragePct: 100,
        costDriftPct: 0,
      },
    ]);
    // Coverage 7,100 of 17,100 tokens; the code-execution $0.025 is a line of its own, not in the token totals
    expect(reconciliation.totals).toEqual({ trackedCostUsd: '0.011625', anthropicCostUsd: '0.021175', anthropicListCostUsd: '0.021625', coveragePct: 41.5, costDriftPct: 0 });
    expect(reconciliation.unattributed).toEqual([
      { date: '2026-12-03', model: 'claude-haiku-4-5', kind: 'console_or_workbench', requests: 1, tokens: 10_000 },
      { date: '2026-12-03', model: null, kind: 'cost_not_tracked', requests: 0, tokens: 0, costUsd: '0.025000' },
      { date: '2026-12-03', model: 'claude-haiku-4-5', kind: 'default_workspace', requests: 1, tokens: 10_000 },
    ]);
    expect(reconciliation.dataAsOf).toBe('2026-12-04T10:00:00Z');
    const usageCalls = api.requests.filter((request) => request.path === '/v1/organizations/analytics/usage');
    expect(usageCalls.length).toBeGreaterThanOrEqual(4); // 3 rows in pages of 2, twice
    expect(usageCalls[0]!.query.getAll('group_by[]')).toEqual(['model', 'api_key_id', 'workspace_id', 'service_tier', 'product']);
    expect(usageCalls[0]!.query.get('order_by')).toBe('time');
    expect(usageCalls[0]!.headers['anthropic-beta']).toContain('analytics-usage-cost-2026-08-24');
  });

  test('the daily and monthly reports gain Anthropic-reported cost, coverage and drift once polled', async () => {
    // Prepare
    seedDecemberThird();
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    await recordEvents(trackedEvents, deps);
    const before = await buildReport('daily', '2026-12-03', deps);
    await pollAnthropic(deps);

    // Act
    const daily = await buildReport('daily', '2026-12-03', deps);
    const monthly = await buildReport('monthly', '2026-12', deps);

    // Assess
    expect(before.anthropic).toBeNull();
    expect(daily.anthropic).toEqual({ costUsd: '0.021175', listCostUsd: '0.021625', coveragePct: 41.5, costDriftPct: 0, dataAsOf: '2026-12-04T10:00:00Z' });
    expect(monthly.anthropic).toMatchObject({ costUsd: '0.021175', coveragePct: 41.5 });
    expect(reportText(daily)).toContain('Anthropic:       $0.02 reported (list $0.02); tracked 41.5% of its tokens, price drift +0%');
  });

  test('the balance shows the newest rate-limit headers clients reported per model, with when they were seen', async () => {
    // Prepare: two events with headers, the later one wins; one without headers
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    const withLimits = (id: string, timestamp: string, remaining: string) => ({ ...trackedEvents[1]!, id, timestamp, rateLimits: { 'anthropic-ratelimit-tokens-remaining': remaining, 'anthropic-ratelimit-tokens-limit': '96000' } });
    await recordEvents([withLimits('r1', '2026-12-04T10:01:00Z', '90000'), withLimits('r2', '2026-12-04T10:02:00Z', '85000'), { ...trackedEvents[0]!, id: 'r3', timestamp: '2026-12-04T10:03:00Z' }], deps);
    clock.advance(15 * 60_000);
    await aggregateUsage(deps);

    // Act
    const balance = await getBalance(deps);

    // Assess
    expect(balance.rateLimits).toEqual([{ model: 'claude-sonnet-4-5', seenAt: '2026-12-04T10:02:00.000Z', limits: { 'anthropic-ratelimit-tokens-remaining': '85000', 'anthropic-ratelimit-tokens-limit': '96000' } }]);
  });

  test('drift prices each service tier at its own rate, and other products of the organization are lines of their own', async () => {
    // Prepare: tokmon tracks 100,000 batch Sonnet 4.5 input tokens ($0.15 at $1.50/M); Anthropic also saw 100,000
    // standard input tokens from an untracked job ($0.30), and 50,000 tokens of Claude Code usage
    api.usage = [
      usageRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5', { input: 100_000, requests: 10 }, { service_tier: 'batch' }),
      usageRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5', { input: 100_000, requests: 10 }),
      usageRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5', { input: 50_000, requests: 5 }, { product: 'claude_code' }),
    ];
    api.cost = [
      costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5', 'uncached_input_tokens', '15', '15', 'tokens', { service_tier: 'batch' }),
      costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5', 'uncached_input_tokens', '30'),
      costRow('2026-12-03T09:00:00Z', 'claude-sonnet-4-5', 'uncached_input_tokens', '15', '15', 'tokens', { product: 'claude_code' }),
    ];
    api.pageSize = 1000;
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    await recordEvents([{ id: 'b1', timestamp: '2026-12-03T09:30:00Z', model: 'claude-sonnet-4-5', usage: { input_tokens: 100_000, output_tokens: 0, service_tier: 'batch' } }], deps);
    await pollAnthropic(deps);

    // Act
    const reconciliation = await getReconciliation({ from: '2026-12-03', to: '2026-12-03' }, deps);

    // Assess: a blended rate ($2.25/M) would have shown −33.3%; per tier it is exact
    expect(reconciliation.rows).toMatchObject([{ model: 'claude-sonnet-4-5', tracked: { costUsd: '0.150000' }, anthropic: { inputTokens: 200_000, costUsd: '0.450000' }, coveragePct: 50, costDriftPct: 0 }]);
    expect(reconciliation.unattributed).toEqual([
      { date: '2026-12-03', model: 'claude-sonnet-4-5', kind: 'other_product', product: 'claude_code', requests: 5, tokens: 50_000, costUsd: '0.150000' },
    ]);
  });

  test('on AWS polls are handed to the poller function, and a backfill window is reported done once it has run', async () => {
    // Prepare
    seedDecemberThird();
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    const dispatched: ({ from: string; to: string; resume: boolean } | undefined)[] = [];
    const aws = { ...deps, pollDispatcher: { dispatch: async (window?: { from: string; to: string; resume: boolean }) => void dispatched.push(window) } };
    const window = { from: '2026-11-03', to: '2026-12-04', resume: true };

    // Act
    const first = await requestPoll(aws, window);
    await pollAnthropic(deps, dispatched[0]!);
    const lookback = await requestPoll(aws);
    const second = await requestPoll(aws, window);

    // Assess
    expect(first).toMatchObject({ polled: false, queued: true, reason: expect.stringMatching(/^queued/), from: '2026-11-03T00:00:00.000Z', to: '2026-12-04T00:00:00.000Z' });
    expect(dispatched[0]).toEqual({ from: '2026-11-03T00:00:00.000Z', to: '2026-12-04T00:00:00.000Z', resume: true });
    expect(second).toMatchObject({ polled: false, reason: 'already backfilled' });
    expect(lookback).toMatchObject({ polled: false, queued: true });
    expect(dispatched).toHaveLength(2);
    expect(dispatched[1]).toBeUndefined();
    expect((await getReconciliation({ from: '2026-12-03', to: '2026-12-03' }, deps)).rows).toHaveLength(2);
  });

  test('late data that changes between polls replaces the stored buckets instead of adding to them', async () => {
    // Prepare
    seedDecemberThird();
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    await pollAnthropic(deps);
    // Anthropic finishes counting: the 10:00 Sonnet bucket grows, and the Console Haiku row disappears
    api.usage = [api.usage[0]!, usageRow('2026-12-03T10:00:00Z', 'claude-sonnet-4-5-20250929', { input: 700, output: 100, requests: 3 })];
    api.cost = api.cost.filter((row) => row.group.model === 'claude-sonnet-4-5-20250929');

    // Act
    const second = await pollAnthropic(deps);
    const reconciliation = await getReconciliation({ from: '2026-12-03', to: '2026-12-03' }, deps);

    // Assess
    expect(second).toMatchObject({ usageRows: 2, costRows: 6, written: 8, deleted: 3 });
    expect(reconciliation.rows.map((row) => [row.model, row.anthropic?.requests, row.anthropic?.inputTokens])).toEqual([['claude-sonnet-4-5', 6, 1700]]);
    expect(reconciliation.unattributed).toEqual([]);
  });

  test('429 and 500 answers are retried; a wrong admin key is a clear 502-mapped error that never shows the key', async () => {
    // Prepare
    seedDecemberThird();
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock);
    const { deps: wrongKey } = await pollerDeps(clock, {}, 'sk-ant-admin01-wrong-secret-value');
    api.failures = [429, 500];

    // Act
    const retried = await pollAnthropic(deps);
    const refused = await pollAnthropic(wrongKey).catch((error: Error & { code?: string }) => error);

    // Assess
    expect(retried.polled).toBe(true);
    expect(refused).toMatchObject({ code: 'upstream_failed' });
    expect((refused as Error).message).toMatch(/refused the admin key \(401 authentication_error\)/);
    expect(JSON.stringify(refused) + String((refused as Error).stack)).not.toContain('wrong-secret-value');
  });

  test('drift above 2% is alerted once per day, however often the poller runs', async () => {
    // Prepare: Anthropic lists the Sonnet input at twice the catalog rate → tracked is cheaper
    seedDecemberThird();
    api.cost = api.cost.map((row) => (row.group.token_type === 'uncached_input_tokens' && row.group.model?.startsWith('claude-sonnet') ? { ...row, cost: { amount: String(Number(row.cost.amount) * 2), list_amount: String(Number(row.cost.list_amount) * 2) } } : row));
    const clock = new TestClock(NOW);
    const { deps, make, publisher } = await pollerDeps(clock, { admin_api: { coverage_alert_pct: 0 } });
    await recordEvents(trackedEvents, deps);

    // Act
    const first = await pollAnthropic(deps);
    const again = await Promise.all([pollAnthropic(make()), pollAnthropic(make())]);

    // Assess: expected at Anthropic's rates 0.016125 USD vs tracked 0.011625 → −27.9%
    expect(first.alerts).toEqual(['alert:reconciliation_drift:2026-12-03:actual:2']);
    expect(again.flatMap((result) => result.alerts)).toEqual([]);
    expect(publisher.calls.map((call) => call.notification)).toMatchObject([{ budget: 'reconciliation_drift', period: '2026-12-03', used: -27.9, unit: 'percent', severity: 'warning' }]);
  });

  test('the balance is configured credits minus Anthropic-reported cost since, with days left at the 7-day burn', async () => {
    // Prepare: $10 on Nov 27 and $5 on Dec 1; Anthropic reports $1.00 a day Nov 27 – Dec 3 and $0.50 today
    api.usage = [];
    api.cost = [];
    for (let day = 27; day <= 33; day++) {
      const date = new Date(Date.UTC(2026, 10, day, 12)).toISOString();
      api.cost.push(costRow(date, 'claude-haiku-4-5', 'uncached_input_tokens', '100'));
    }
    api.cost.push(costRow('2026-12-04T09:00:00Z', 'claude-haiku-4-5', 'uncached_input_tokens', '50'));
    api.pageSize = 1000;
    api.spendLimits = [{ amount: '50000', currency: 'USD', period: 'monthly', period_to_date_spend: '350.125', scope: { type: 'organization' }, spend_limit_id: 'sl_1' }];
    const clock = new TestClock(NOW);
    const { deps } = await pollerDeps(clock, { balance: { credits: [{ date: '2026-11-27', amount_usd: 10 }, { date: '2026-12-01', amount_usd: 5 }] } });
    await pollAnthropic(deps, { from: '2026-11-27', to: '2026-12-04' });
    await pollAnthropic(deps);

    // Act
    const balance = await getBalance(deps);

    // Assess: $15 − $7.50 = $7.50 left; burn (Nov 27 – Dec 3) $1.00/day → 7.5 days
    expect(balance).toMatchObject({
      credits: { totalUsd: '15.000000', since: '2026-11-27', count: 2 },
      anthropicCostSinceUsd: '7.500000',
      remainingUsd: '7.500000',
      burnPerDayUsd: '1.000000',
      daysUntilDepleted: 7.5,
      dataAsOf: expect.any(String),
      spendLimits: [{ period: 'monthly', scope: 'organization', limitUsd: '500.000000', periodToDateSpendUsd: '3.501250', remainingUsd: '496.498750' }],
      notes: [],
    });
  });
});
