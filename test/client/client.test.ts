import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { BudgetExceededError, getTokenMonitor, tokmonTags, withTokenMonitor } from '../../client/index.js';
import { freePort } from '../../cli/local/dynamoDbLocal.js';
import { testEndpoint } from '../support/dynamo.js';
import { JSON_USAGE, STREAM_START_USAGE, startFakeAnthropic, type FakeAnthropic } from '../support/fakeAnthropic.js';
import { call, startServe, type ServeProcess } from '../support/serveProcess.js';

let fake: FakeAnthropic;
let serve: ServeProcess;
const today = () => new Date().toISOString().slice(0, 10);

function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `tokmon-${name}-`));
}

function configFile(yaml: string): string {
  const path = join(tempDir('cfg'), 'tokmon.yaml');
  writeFileSync(path, yaml);
  return path;
}

const noConfig = configFile('token_monitoring:\n  enabled: true\n');

function rawClient(): Anthropic {
  return new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
}

function wrapped(options: Parameters<typeof withTokenMonitor>[1] = {}): Anthropic {
  return withTokenMonitor(rawClient(), { config: noConfig, spoolDir: tempDir('spool'), ...options });
}

/** Events the monitor recorded, read back from its usage log. */
function logged(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

function loggingClient(options: Parameters<typeof withTokenMonitor>[1] = {}) {
  const usageLog = join(tempDir('log'), 'usage.jsonl');
  const client = wrapped({ config: configFile('token_monitoring:\n  log_usage: true\n'), usageLog, ...options });
  return { client, usageLog };
}

beforeAll(async () => {
  fake = await startFakeAnthropic();
  const prefix = `c${Date.now().toString(36)}`;
  serve = await startServe({
    TOKMON_DYNAMODB_ENDPOINT: testEndpoint(),
    TOKMON_EVENTS_TABLE: `${prefix}-events`,
    TOKMON_SUMMARIES_TABLE: `${prefix}-summaries`,
    TOKMON_KEYS_TABLE: `${prefix}-keys`,
    TOKMON_CONFIG: configFile('token_monitoring:\n  daily_limit: 1000000000\n'),
  });
});

afterAll(async () => {
  await serve?.stop();
  await fake?.close();
});

describe('withTokenMonitor captures usage with the real SDK', () => {
  test('a plain messages.create returns exactly what the raw client returns and records its full usage', async () => {
    // Prepare
    const { client, usageLog } = loggingClient({ tags: { app: 'avatar-engine' } });
    const params = { model: 'claude-sonnet-4-5-20250929', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

    // Act
    const raw = await rawClient().messages.create(params);
    const result = await client.messages.create(params);
    await getTokenMonitor(client)!.flush();

    // Assess
    expect({ ...result, id: 'x' }).toEqual({ ...raw, id: 'x' });
    expect(client).toBeInstanceOf(Anthropic);
    const [event] = logged(usageLog);
    expect(event).toMatchObject({
      id: result.id,
      model: 'claude-sonnet-4-5-20250929',
      usage: JSON_USAGE,
      requestId: expect.stringMatching(/^req_\d+$/),
      stream: false,
      stopReason: 'end_turn',
      tags: { app: 'avatar-engine' },
      rateLimits: expect.objectContaining({ 'anthropic-ratelimit-tokens-remaining': '91000' }),
      // 2,095 × $3 + 503 × $15 + 2,051 × $3.75 + 100 × $0.30 per MTok + 1 search × $0.01
      costUsd: '0.03155125',
    });
    expect(event!.latencyMs).toEqual(expect.any(Number));
  });

  test('a streamed create records the final cumulative usage once, with the TTL split and geo of message_start', async () => {
    // Prepare
    const { client, usageLog } = loggingClient();

    // Act
    const stream = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const kinds: string[] = [];
    for await (const event of stream) kinds.push(event.type);
    await getTokenMonitor(client)!.flush();

    // Assess
    expect(kinds).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_delta', 'message_stop']);
    const events = logged(usageLog);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      stream: true,
      stopReason: 'end_turn',
      usage: { ...STREAM_START_USAGE, output_tokens: 120 },
    });
  });

  test('messages.stream(...).finalMessage() is recorded once with the final usage', async () => {
    // Prepare
    const { client, usageLog } = loggingClient();

    // Act
    const final = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    await getTokenMonitor(client)!.flush();

    // Assess
    expect(final.usage.output_tokens).toBe(120);
    const events = logged(usageLog);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: final.id, usage: { output_tokens: 120, cache_creation: { ephemeral_1h_input_tokens: 2000 } } });
  });

  test('batch results become one batch-priced event per succeeded result, errored ones skipped', async () => {
    // Prepare
    const { client, usageLog } = loggingClient();

    // Act
    const results = [];
    for await (const result of await client.messages.batches.results('msgbatch_01abc')) results.push(result.custom_id);
    await getTokenMonitor(client)!.flush();

    // Assess
    expect(results).toEqual(['req-1', 'req-2', 'req-3']);
    const events = logged(usageLog);
    expect(events.map((event) => event.id)).toEqual(['msgbatch_01abc:req-1', 'msgbatch_01abc:req-3']);
    // 1,000 in × $1 + 100 out × $5 per MTok at 50%
    expect(events[0]).toMatchObject({ usage: { service_tier: 'batch' }, costUsd: '0.000750' });
  });

  test.each(['error-429', 'error-429-spend', 'error-529', 'error-credit'])('%s passes through unchanged and records nothing', async (model) => {
    // Prepare
    const { client, usageLog } = loggingClient();
    const params = { model, max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    const rawError = await rawClient().messages.create(params).catch((error: unknown) => error);

    // Act
    const wrappedError = await client.messages.create(params).catch((error: unknown) => error);
    await getTokenMonitor(client)!.flush();

    // Assess
    expect(wrappedError).toBeInstanceOf((rawError as object).constructor as new () => unknown);
    expect(wrappedError).toMatchObject({ status: (rawError as { status: number }).status, message: (rawError as Error).message });
    expect(() => readFileSync(usageLog)).toThrow();
  });

  test('per-call tags add to client tags and never reach Anthropic', async () => {
    // Prepare
    const { client, usageLog } = loggingClient({ tags: { app: 'web', feature: 'default' } });
    const before = fake.requests.length;

    // Act
    await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, tokmonTags({ feature: 'chat', user: 'u-42' }));
    await getTokenMonitor(client)!.flush();

    // Assess
    expect(logged(usageLog)[0]!.tags).toEqual({ app: 'web', feature: 'chat', user: 'u-42' });
    expect(fake.requests.slice(before).every((request) => !('x-tokmon-tags' in request.headers))).toBe(true);
  });

  test('estimate prices the input of a request before it is sent', async () => {
    const client = wrapped();
    const estimate = await getTokenMonitor(client)!.estimate({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(estimate).toEqual({ inputTokens: 1234, inputUsd: '0.003702', estimate: true });
  });

  test('local daily_limit warnings fire once at the alert threshold and once at 100%', async () => {
    // Prepare: each call is 2,095 + 503 + 2,051 + 100 = 4,749 tokens against a 10,000-token limit
    const warnings: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    const client = wrapped({ config: configFile('token_monitoring:\n  daily_limit: 10000\n  alert_threshold: 80\n') });

    // Act
    try {
      for (let i = 0; i < 4; i++) {
        await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
        await getTokenMonitor(client)!.flush();
      }
    } finally {
      spy.mockRestore();
    }

    // Assess
    expect(warnings).toEqual([
      'tokmon: this process has used 9,498 tokens, 80% of daily_limit (10,000)\n',
      'tokmon: this process has used 14,247 tokens, 100% of daily_limit (10,000)\n',
    ]);
  });

  test('enabled: false wraps nothing', () => {
    const raw = rawClient();
    const client = withTokenMonitor(raw, { config: configFile('token_monitoring:\n  enabled: false\n') });
    expect(client).toBe(raw);
    expect(getTokenMonitor(client)).toBeUndefined();
  });

  test('the summary block totals this process', async () => {
    const client = wrapped();
    await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    await getTokenMonitor(client)!.flush();
    expect(getTokenMonitor(client)!.summary()).toBe(
      ['Token Usage Summary', '==================', 'Input Tokens:    2,095 ($0.002)', 'Output Tokens:   503 ($0.003)', 'Cache Writes:    2,051 ($0.003)', 'Cache Reads:     100 ($0.000)', 'Web Searches:    1 ($0.010)', 'Cache Savings:   $0.000', 'Total Cost:      $0.017'].join('\n'),
    );
  });
});

describe('delivery to the tokmon endpoint', () => {
  test('events wait in the spool while the endpoint is down and the next monitor sends them, nothing lost or doubled', async () => {
    // Prepare
    const spoolDir = tempDir('spool-shared');
    const deadEndpoint = `http://127.0.0.1:${await freePort()}`;
    const offline = wrapped({ endpoint: deadEndpoint, apiKey: serve.keys.ingest, spoolDir, tags: { app: 'spool-test' } });
    for (let i = 0; i < 3; i++) await offline.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });

    // Act
    await getTokenMonitor(offline)!.close();
    const spooled = readdirSync(spoolDir).filter((name) => name.endsWith('.jsonl'));
    const online = wrapped({ endpoint: serve.url, apiKey: serve.keys.ingest, spoolDir, tags: { app: 'spool-test' } });
    await online.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    await getTokenMonitor(online)!.close();
    const again = wrapped({ endpoint: serve.url, apiKey: serve.keys.ingest, spoolDir });
    await getTokenMonitor(again)!.close();
    const summary = await call(serve.url, `/v1/summary?period=day&date=${today()}&groupBy=tag:app`, { key: serve.keys.read });

    // Assess
    expect(spooled.length).toBeGreaterThan(0);
    expect(readdirSync(spoolDir).filter((name) => !name.startsWith('.'))).toEqual([]);
    const group = (summary.body.groups as { key: string; totals: { requests: number; inputTokens: number } }[]).find((entry) => entry.key === 'spool-test');
    expect(group?.totals).toMatchObject({ requests: 4, inputTokens: 4 * 2095 });
  });

  test('a process that exits without flushing still delivers its events and prints the summary block', async () => {
    // Prepare
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const config = configFile('token_monitoring:\n  display_at_end: true\n');

    // Act
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'test/fixtures/exitFlush.mjs')], {
        cwd: root,
        env: { ...process.env, FAKE_ANTHROPIC_URL: fake.url, TOKMON_ENDPOINT: serve.url, TOKMON_API_KEY: serve.keys.ingest, SPOOL_DIR: tempDir('spool-exit'), MONITOR_CONFIG: config },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const summary = await call(serve.url, `/v1/summary?period=day&date=${today()}&groupBy=tag:app`, { key: serve.keys.read });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('calls done');
    expect(result.stderr).toContain('Token Usage Summary');
    expect(result.stderr).toContain('Output Tokens:   623 (');
    const group = (summary.body.groups as { key: string; totals: { requests: number } }[]).find((entry) => entry.key === 'exit-test');
    expect(group?.totals.requests).toBe(2);
  });

  test('with enforce, a call is refused with BudgetExceededError once the server reports the day over its limit', async () => {
    // Prepare: a server whose daily limit is already exceeded by one call
    const prefix = `x${Date.now().toString(36)}`;
    const strict = await startServe({
      TOKMON_DYNAMODB_ENDPOINT: testEndpoint(),
      TOKMON_EVENTS_TABLE: `${prefix}-events`,
      TOKMON_SUMMARIES_TABLE: `${prefix}-summaries`,
      TOKMON_KEYS_TABLE: `${prefix}-keys`,
      TOKMON_CONFIG: configFile('token_monitoring:\n  daily_limit: 1000\n'),
    });
    try {
      const client = wrapped({ endpoint: strict.url, apiKey: strict.keys.ingest, readKey: strict.keys.read, config: configFile('token_monitoring:\n  enforce: true\n') });
      await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      await getTokenMonitor(client)!.close();
      const fresh = wrapped({ endpoint: strict.url, apiKey: strict.keys.ingest, readKey: strict.keys.read, config: configFile('token_monitoring:\n  enforce: true\n') });
      const before = fake.requests.length;

      // Act
      const refused = await fresh.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);

      // Assess
      expect(refused).toBeInstanceOf(BudgetExceededError);
      expect(refused).toMatchObject({ limit: 'daily_limit' });
      expect(fake.requests.length).toBe(before);
    } finally {
      await strict.stop();
    }
  });
});
