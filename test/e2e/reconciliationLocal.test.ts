import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { testEndpoint } from '../support/dynamo.js';
import { costRow, startFakeAdminApi, usageRow, type FakeAdminApi } from '../support/fakeAdminApi.js';
import { runCli } from '../support/runCli.js';
import { call, startServe, type ServeProcess } from '../support/serveProcess.js';

const ADMIN_KEY = 'sk-ant-admin01-e2e-secret-never-logged-0000';
let api: FakeAdminApi;
let serve: ServeProcess;
const hour = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000).toISOString();
const day = hour.slice(0, 10);

beforeAll(async () => {
  api = await startFakeAdminApi(ADMIN_KEY);
  api.usage = [usageRow(hour, 'claude-haiku-4-5-20251001', { input: 2_000_000, output: 10_000, requests: 4 })];
  // 2,000,000 × $1/M = 200¢ and 10,000 × $5/M = 5¢, list and billed alike
  api.cost = [costRow(hour, 'claude-haiku-4-5-20251001', 'uncached_input_tokens', '200'), costRow(hour, 'claude-haiku-4-5-20251001', 'output_tokens', '5')];
  api.pageSize = 1;
  api.dataRefreshedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const config = join(mkdtempSync(join(tmpdir(), 'tokmon-recon-')), 'tokmon.yaml');
  writeFileSync(config, `token_monitoring:\n  balance:\n    credits:\n      - { date: "${day}", amount_usd: 100 }\n`);
  const prefix = `r${randomBytes(3).toString('hex')}`;
  serve = await startServe({
    TOKMON_DYNAMODB_ENDPOINT: testEndpoint(),
    TOKMON_EVENTS_TABLE: `${prefix}-e`,
    TOKMON_SUMMARIES_TABLE: `${prefix}-s`,
    TOKMON_KEYS_TABLE: `${prefix}-k`,
    TOKMON_CONFIG: config,
    TOKMON_LOG: '',
    ANTHROPIC_ADMIN_KEY: ADMIN_KEY,
    ANTHROPIC_BASE_URL: api.url,
  });
  const event = { id: 'e2e-recon-1', timestamp: new Date(Date.parse(hour) + 60_000).toISOString(), model: 'claude-haiku-4-5', usage: { input_tokens: 1_000_000, output_tokens: 10_000 } };
  await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: event });
});

afterAll(async () => {
  await serve?.stop();
  await api?.close();
});

describe('reconciliation with Anthropic on the local stack (real binary, fake Admin API)', () => {
  test('tokmon run poll twice, then GET /v1/reconciliation shows Anthropic exact figures beside tracked usage', async () => {
    // Prepare
    const admin = ['--endpoint', serve.url, '--key', serve.keys.admin];

    // Act
    const first = await runCli(['run', 'poll', ...admin]);
    const second = await runCli(['run', 'poll', ...admin]);
    const reconciliation = await call(serve.url, `/v1/reconciliation?from=${day}&to=${day}`, { key: serve.keys.read });

    // Assess
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ polled: true, usageRows: 1, costRows: 2 });
    expect(reconciliation.status).toBe(200);
    expect((reconciliation.body as { rows: unknown[] }).rows).toEqual([
      {
        date: day,
        model: 'claude-haiku-4-5',
        tracked: { requests: 1, inputTokens: 1_000_000, outputTokens: 10_000, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: '1.050000' },
        anthropic: { requests: 4, inputTokens: 2_000_000, outputTokens: 10_000, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: '2.050000', listCostUsd: '2.050000', webSearchRequests: 0 },
        coveragePct: 50.2,
        costDriftPct: 0,
      },
    ]);
    expect((reconciliation.body as { dataAsOf: string }).dataAsOf).toBe(api.dataRefreshedAt);
  });

  test('GET /v1/balance and the summary block show what is left, and the admin key appears in no output', async () => {
    // Act
    const balance = await call(serve.url, '/v1/balance', { key: serve.keys.read });
    const summary = await runCli(['summary', '--day', day, '--endpoint', serve.url, '--key', serve.keys.read]);

    // Assess: $100 − $2.05 reported by Anthropic
    expect(balance.body).toMatchObject({ credits: { totalUsd: '100.000000' }, anthropicCostSinceUsd: '2.050000', remainingUsd: '97.950000' });
    expect(summary.stdout).toMatch(/Balance: +\$97\.950 left/);
    expect(serve.output()).not.toContain(ADMIN_KEY);
    expect(serve.output()).toContain('Admin-API poll: every 15 min');
  });

  test('tokmon backfill loads 31-day windows with progress and skips finished ones when run again', async () => {
    // Prepare
    const since = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const admin = ['--endpoint', serve.url, '--key', serve.keys.admin];

    // Act
    const first = await runCli(['backfill', '--since', since, '--json', ...admin]);
    const again = await runCli(['backfill', '--since', since, '--json', ...admin]);
    const tooEarly = await runCli(['backfill', '--since', '2025-12-31', ...admin]);

    // Assess
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ since, windows: 2, polled: 2, skipped: 0 });
    expect(first.stderr).toMatch(/backfill \[#{12}-{12}\] 1\/2/);
    expect(first.stderr).toMatch(/backfill \[#{24}\] 2\/2/);
    expect(JSON.parse(again.stdout)).toMatchObject({ windows: 2, polled: 0, skipped: 2 });
    expect(tooEarly).toMatchObject({ code: 2 });
    expect(tooEarly.stderr).toContain("Anthropic's analytics start on 2026-01-01");
  });
});
