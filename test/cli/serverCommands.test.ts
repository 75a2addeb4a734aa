import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { testEndpoint } from '../support/dynamo.js';
import { runCli } from '../support/runCli.js';
import { call, startServe, type ServeProcess } from '../support/serveProcess.js';

let serve: ServeProcess;

beforeAll(async () => {
  const prefix = `s${randomBytes(3).toString('hex')}`;
  const config = join(mkdtempSync(join(tmpdir(), 'tokmon-cfg-')), 'tokmon.yaml');
  writeFileSync(config, 'token_monitoring:\n  daily_limit: 1000000\n');
  serve = await startServe({ TOKMON_DYNAMODB_ENDPOINT: testEndpoint(), TOKMON_EVENTS_TABLE: `${prefix}-e`, TOKMON_SUMMARIES_TABLE: `${prefix}-s`, TOKMON_KEYS_TABLE: `${prefix}-k`, TOKMON_CONFIG: config });
  const event = {
    id: 'msg_cli_1',
    timestamp: '2026-08-14T10:00:00Z',
    model: 'claude-sonnet-4-5-20250929',
    usage: { input_tokens: 45_320, output_tokens: 12_450, cache_read_input_tokens: 8_123 },
    tags: { app: 'avatar-engine' },
  };
  await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: event });
  const july = { id: 'msg_cli_july', timestamp: '2026-07-20T10:00:00Z', model: 'claude-haiku-4-5', usage: { input_tokens: 1_000_000, output_tokens: 0 }, tags: { app: 'batch-jobs' } };
  await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: july });
});

afterAll(async () => {
  await serve?.stop();
});

describe('tokmon summary, run and report against the local stack (real binary)', () => {
  test('summary prints the exact summary block of a day with its limit line', async () => {
    // Act
    const result = await runCli(['summary', '--day', '2026-08-14', '--endpoint', serve.url, '--key', serve.keys.read]);

    // Assess: 45,320 × $3 + 12,450 × $15 + 8,123 × $0.30 per MTok
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(1, 10)).toEqual([
      'Token Usage Summary',
      '==================',
      'Input Tokens:    45,320 ($0.136)',
      'Output Tokens:   12,450 ($0.187)',
      'Cache Reads:     8,123 ($0.002)',
      'Cache Savings:   $0.022',
      'Total Cost:      $0.325',
      'Daily Limit:     6.6% used',
      '',
    ]);
  });

  test('summary --json is the JSON of GET /v1/summary, and --month works', async () => {
    const result = await runCli(['summary', '--month', '2026-08', '--group-by', 'tag:app', '--json'], { env: { TOKMON_ENDPOINT: serve.url, TOKMON_API_KEY: serve.keys.read } });
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ period: 'month', totals: { requests: 1, costUsd: '0.3251469' }, groups: [{ key: 'avatar-engine' }] });
  });

  test('run aggregate prints the job result; a read key may not run jobs', async () => {
    const ok = await runCli(['run', 'aggregate', '--endpoint', serve.url, '--key', serve.keys.admin]);
    const denied = await runCli(['run', 'aggregate', '--endpoint', serve.url, '--key', serve.keys.read]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ caughtUp: true });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^tokmon: a key with the read role cannot do this; it needs the admin role \(forbidden\)\n$/);
  });

  test('an unreachable endpoint and bad usage fail with one sentence and the right exit code', async () => {
    const unreachable = await runCli(['summary', '--endpoint', 'http://127.0.0.1:9', '--key', 'x']);
    const both = await runCli(['summary', '--day', '2026-08-14', '--month', '2026-08', '--key', 'x']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^tokmon: cannot reach tokmon at http:\/\/127.0.0.1:9 .*is it running\?\n$/);
    expect(both).toMatchObject({ code: 2, stderr: 'tokmon: give --day or --month, not both\n' });
  });

  test('report --month prints the monthly report as text, csv and json', async () => {
    // Prepare
    const env = { TOKMON_ENDPOINT: serve.url, TOKMON_API_KEY: serve.keys.read };

    // Act
    const text = await runCli(['report', '--month', '2026-08'], { env });
    const csv = await runCli(['report', '--month', '2026-08', '--format', 'csv'], { env });
    const json = await runCli(['report', '--month', '2026-08', '--json'], { env });

    // Assess: August $0.3251469 vs July $1.00 (1,000,000 Haiku 4.5 input tokens): -67.48531% rounds to -67.5
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('tokmon monthly report — 2026-08');
    expect(text.stdout).toContain('Total cost:      $0.33 (-67.5% vs 2026-07)');
    expect(text.stdout).toMatch(/claude-sonnet-4-5-20250929\s+\$0.33\s+1 requests/);
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual([
      'month,dimension,key,requests,inputTokens,outputTokens,cacheCreationInputTokens,cacheReadInputTokens,costUsd,cacheSavingsUsd,unpricedRequests',
      '2026-08,total,,1,45320,12450,0,8123,0.3251469,0.0219321,0',
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({ report: 'monthly', month: '2026-08', costChangePct: -67.5, previous: { month: '2026-07', totals: { costUsd: '1.000000' } }, tags: { app: [{ key: 'avatar-engine' }] } });
  });
});
