import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { testEndpoint } from '../support/dynamo.js';
import { runCli } from '../support/runCli.js';
import { call, startServe, type ServeProcess } from '../support/serveProcess.js';

const EXAMPLE_CONFIG = resolve('tokmon.example.yaml');

function notificationLines(dataDir: string): { id: string; severity: string; threshold: number; kind: string; subject: string }[] {
  const file = join(dataDir, 'notifications.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

let serve: ServeProcess | undefined;

afterAll(async () => {
  await serve?.stop();
});

describe('alerts on the local stack with the contract example config (real binary)', () => {
  test('crossing 80% then 100% of daily_limit writes exactly one warning and one critical notification, across re-runs and a restart', async () => {
    // Prepare: the example config as written (its price overrides file beside it), its own tables and data dir
    const configDir = mkdtempSync(join(tmpdir(), 'tokmon-example-'));
    copyFileSync(EXAMPLE_CONFIG, join(configDir, 'tokmon.yaml'));
    mkdirSync(join(configDir, 'examples'));
    copyFileSync(resolve('examples/prices.override.yaml'), join(configDir, 'examples', 'prices.override.yaml'));
    const dataDir = mkdtempSync(join(tmpdir(), 'tokmon-alerts-'));
    const prefix = `a${randomBytes(3).toString('hex')}`;
    const env = { TOKMON_DYNAMODB_ENDPOINT: testEndpoint(), TOKMON_EVENTS_TABLE: `${prefix}-e`, TOKMON_SUMMARIES_TABLE: `${prefix}-s`, TOKMON_KEYS_TABLE: `${prefix}-k`, TOKMON_CONFIG: join(configDir, 'tokmon.yaml'), TOKMON_DATA_DIR: dataDir };
    serve = await startServe(env);
    const timestamp = new Date().toISOString();
    const day = timestamp.slice(0, 10);
    const event = (id: string, inputTokens: number) => ({ id, timestamp, model: 'claude-haiku-4-5', usage: { input_tokens: inputTokens, output_tokens: 0 }, tags: { app: 'e2e' } });
    const runAggregate = async () => runCli(['run', 'aggregate', '--endpoint', serve!.url, '--key', serve!.keys.admin]);

    // Act
    await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: { events: [event('e2e-1', 500_000), event('e2e-2', 310_000)] } });
    const atEightyOne = await runAggregate();
    const afterWarning = notificationLines(dataDir);
    await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: { events: [event('e2e-2', 310_000), event('e2e-3', 190_000)] } });
    await runAggregate();
    await runAggregate();
    const printed = serve.output();
    await serve.stop();
    serve = await startServe(env);
    await runAggregate();

    // Assess
    expect(atEightyOne.code).toBe(0);
    expect(JSON.parse(atEightyOne.stdout).alerts).toMatchObject({ crossed: 1 });
    expect(afterWarning.map((line) => line.id)).toEqual([`alert:daily_limit:${day}:actual:80`]);
    const lines = notificationLines(dataDir);
    expect(lines.map((line) => [line.id, line.severity])).toEqual([
      [`alert:daily_limit:${day}:actual:80`, 'warning'],
      [`alert:daily_limit:${day}:actual:100`, 'critical'],
    ]);
    expect(lines[0]).toMatchObject({ type: 'alert', budget: 'daily_limit', period: day, kind: 'actual', threshold: 80, limit: 1_000_000, unit: 'tokens', used: 810_000, usedPct: 81, subject: 'tokmon: daily_limit at 81% (80% threshold)' });
    expect(printed).toContain('[warning] tokmon: daily_limit at 81% (80% threshold)');
    expect(printed).toContain('[critical] tokmon: daily_limit at 100% (100% threshold)');
  });

  test('tokmon report --month prints the month with its totals', async () => {
    // Prepare
    const month = new Date().toISOString().slice(0, 7);

    // Act
    const text = await runCli(['report', '--month', month, '--endpoint', serve!.url, '--key', serve!.keys.read]);
    const daily = await runCli(['run', 'daily-report', '--endpoint', serve!.url, '--key', serve!.keys.admin]);

    // Assess: 1,000,000 Haiku 4.5 input tokens at $1/M
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`tokmon monthly report — ${month}`);
    expect(text.stdout).toMatch(/Total cost: +\$1\.00/);
    expect(text.stdout).toContain('monthly_limit: 3.3% used');
    expect(daily.code).toBe(0);
    expect(JSON.parse(daily.stdout)).toMatchObject({ report: 'daily', outcome: 'published' });
  });
});
