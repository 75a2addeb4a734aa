import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createDynamoClient } from '../../shared/adapters/dynamodb/client.js';
import { addToTotals, emptyTotals, totalsToJson } from '../../shared/domain/usageTotals.js';
import { priceUsage } from '../../shared/pricing/priceUsage.js';
import { testEndpoint } from '../support/dynamo.js';
import { makeEvents } from '../support/generators.js';
import { call, startServe, type ServeProcess } from '../support/serveProcess.js';
import { runCli } from '../support/runCli.js';

let serve: ServeProcess;
const prefix = `e${randomBytes(4).toString('hex')}`;
const tables = { TOKMON_EVENTS_TABLE: `${prefix}-events`, TOKMON_SUMMARIES_TABLE: `${prefix}-summaries`, TOKMON_KEYS_TABLE: `${prefix}-keys` };

async function storedEventCount(): Promise<number> {
  const client = createDynamoClient(testEndpoint());
  let count = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tables.TOKMON_EVENTS_TABLE, FilterExpression: 'begins_with(pk, :evt)', ExpressionAttributeValues: { ':evt': { S: 'EVT#' } }, Select: 'COUNT', ExclusiveStartKey: startKey }));
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  return count;
}

beforeAll(async () => {
  serve = await startServe({ TOKMON_DYNAMODB_ENDPOINT: testEndpoint(), TOKMON_KEY_CACHE_SECONDS: '0', ...tables });
});

afterAll(async () => {
  await serve?.stop();
});

describe('HTTP API on the local stack (real binary, real handlers, DynamoDB Local)', () => {
  const routes: { method: string; path: string; body?: unknown; role: string }[] = [
    { method: 'POST', path: '/v1/events', body: makeEvents(1, '2026-10-01', 'matrix')[0], role: 'ingest' },
    { method: 'GET', path: '/v1/summary?period=day&date=2026-10-01', role: 'read' },
    { method: 'POST', path: '/v1/jobs/aggregate', role: 'admin' },
    { method: 'GET', path: '/v1/keys', role: 'admin' },
    { method: 'POST', path: '/v1/keys', body: { role: 'read', name: 'matrix' }, role: 'admin' },
  ];
  const callers = ['none', 'bogus', 'ingest', 'read', 'admin'] as const;

  test.each(routes.flatMap((route) => callers.map((caller) => ({ ...route, caller }))))('$method $path as $caller', async ({ method, path, body, role, caller }) => {
    // Prepare
    const key = caller === 'none' ? undefined : caller === 'bogus' ? 'tk_admin_not-a-real-key-000000000000' : serve.keys[caller];

    // Act
    const response = await call(serve.url, path, { method, key, body });

    // Assess
    const expected = caller === 'none' || caller === 'bogus' ? 401 : caller === 'admin' || caller === role ? (method === 'POST' && path === '/v1/keys' ? 201 : 200) : 403;
    expect(response.status).toBe(expected);
    if (expected >= 400) expect(response.body.error?.code).toBe(expected === 401 ? 'unauthorized' : 'forbidden');
  });

  test('health needs no key, unknown routes are 404 and wrong methods 405, all as JSON errors', async () => {
    expect(await call(serve.url, '/v1/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await call(serve.url, '/v1/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await call(serve.url, '/v1/summary', { method: 'DELETE', key: serve.keys.admin })).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect(await call(serve.url, '/v1/jobs/nope', { method: 'POST', key: serve.keys.admin })).toMatchObject({ status: 404, body: { error: { code: 'unknown_job' } } });
  });

  test.each([
    ['a body that is not JSON', '{"id": ', 400, 'invalid_json'],
    ['an empty body', '', 400, 'invalid_json'],
    ['a JSON array', '[]', 400, 'invalid_request'],
    ['an events field that is not a list', '{"events": {}}', 400, 'invalid_request'],
    ['no events', '{"events": []}', 400, 'too_many_events'],
    ['1,001 events', JSON.stringify({ events: makeEvents(1001, '2026-10-02', 'big') }), 400, 'too_many_events'],
    ['a body over 1 MiB', JSON.stringify({ events: [{ id: 'x'.repeat(1024 * 1024) }] }), 413, 'payload_too_large'],
  ])('refuses %s with %i and stores nothing', async (_name, rawBody, status, code) => {
    // Prepare
    const before = await storedEventCount();

    // Act
    const response = await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, rawBody });

    // Assess
    expect(response).toMatchObject({ status, body: { error: { code } } });
    expect(Object.keys(response.body)).toEqual(['error']);
    expect(await storedEventCount()).toBe(before);
  });

  test('a batch with invalid events stores the valid ones and lists the invalid ones by index', async () => {
    // Prepare
    const [good1, good2] = makeEvents(2, '2026-10-03', 'mixed');
    const events = [good1, { ...good2, usage: { input_tokens: -5, output_tokens: 1 } }, { id: 'no-usage' }, good2];

    // Act
    const response = await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: { events } });

    // Assess
    expect(response).toEqual({
      status: 200,
      body: {
        accepted: 2,
        duplicates: 0,
        rejected: [
          { index: 1, code: 'invalid_event', message: 'usage.input_tokens: expected a non-negative integer' },
          { index: 2, code: 'invalid_event', message: 'timestamp: is required; model: is required; usage: is required' },
        ],
      },
    });
  });

  test('fuzzed bodies never cause a 5xx and never store anything', async () => {
    // Prepare
    const before = await storedEventCount();
    const bodies = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.jsonValue().map((value) => JSON.stringify({ events: [value] })),
      fc.record({ id: fc.string(), usage: fc.jsonValue(), timestamp: fc.string(), model: fc.jsonValue() }).map((value) => JSON.stringify(value)),
      fc.string(),
    );

    // Act / Assess
    await fc.assert(
      fc.asyncProperty(bodies, async (rawBody) => {
        const response = await call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, rawBody });
        expect(response.status).toBeLessThan(500);
        if (response.status === 200) expect(response.body.accepted).toBe(0);
      }),
      { numRuns: 150 },
    );
    expect(await storedEventCount()).toBe(before);
  });

  test('300 events sent 3 times concurrently with changed resends are counted exactly once', async () => {
    // Prepare
    const events = makeEvents(300, '2026-10-05', 'e2e');
    const changed = events.slice(0, 50).map((event) => ({ ...event, tags: { app: 'changed' } }));
    const copies = [...events, ...changed, ...events, ...events];
    const batches = Array.from({ length: 20 }, (_, i) => copies.filter((_, index) => index % 20 === i));
    const expected = emptyTotals();
    for (const event of events) addToTotals(expected, priceUsage(event));

    // Act
    const responses = await Promise.all(batches.map((batch) => call(serve.url, '/v1/events', { method: 'POST', key: serve.keys.ingest, body: { events: batch } })));
    const live = await call(serve.url, '/v1/summary?period=day&date=2026-10-05', { key: serve.keys.read });
    const job = await call(serve.url, '/v1/jobs/aggregate', { method: 'POST', key: serve.keys.admin });
    const after = await call(serve.url, '/v1/summary?period=day&date=2026-10-05', { key: serve.keys.read });

    // Assess
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(responses.reduce((sum, response) => sum + (response.body.accepted as number), 0)).toBe(300);
    expect(live.body.totals).toEqual(totalsToJson(expected));
    expect(job.status).toBe(200);
    expect(after.body.totals).toEqual(totalsToJson(expected));
  });

  test('keys created by an admin work at once and stop working when revoked', async () => {
    // Prepare
    const created = await call(serve.url, '/v1/keys', { method: 'POST', key: serve.keys.admin, body: { role: 'read', name: 'dashboards' } });
    const key = created.body.key as string;
    const id = created.body.id as string;

    // Act
    const withNewKey = await call(serve.url, '/v1/summary?period=day&date=2026-10-05', { key });
    const listed = await call(serve.url, '/v1/keys', { key: serve.keys.admin });
    const revoked = await call(serve.url, `/v1/keys/${id}`, { method: 'DELETE', key: serve.keys.admin });
    const afterRevoke = await call(serve.url, '/v1/summary?period=day&date=2026-10-05', { key });

    // Assess
    expect(created.status).toBe(201);
    expect(key).toMatch(/^tk_read_/);
    expect(withNewKey.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((listed.body.keys as { id: string }[]).map((entry) => entry.id)).toContain(id);
    expect(revoked).toMatchObject({ status: 200, body: { id } });
    expect(afterRevoke).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(serve.output()).not.toContain(key);
  });

  test('summary parameters are validated', async () => {
    expect(await call(serve.url, '/v1/summary?period=week&date=2026-10-05', { key: serve.keys.read })).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(await call(serve.url, '/v1/summary?period=day&date=2026-02-30', { key: serve.keys.read })).toMatchObject({ status: 400 });
    expect(await call(serve.url, '/v1/summary?period=month&date=2026-10&groupBy=tag:app', { key: serve.keys.read })).toMatchObject({ status: 200, body: { period: 'month' } });
    // Without a date: today in the configured time zone (UTC here)
    const today = new Date().toISOString().slice(0, 10);
    expect(await call(serve.url, '/v1/summary?period=day', { key: serve.keys.read })).toMatchObject({ status: 200, body: { start: `${today}T00:00:00.000Z` } });
  });

  test('tokmon keys create, list and revoke work over the API with an admin key', async () => {
    // Prepare
    const env = { TOKMON_ENDPOINT: serve.url, TOKMON_API_KEY: serve.keys.admin };

    // Act
    const created = await runCli(['keys', 'create', '--role', 'ingest', '--name', 'cli-test', '--json'], { env });
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    const listed = await runCli(['keys', 'list', '--json'], { env });
    const revoked = await runCli(['keys', 'revoke', id], { env });
    const withReadKey = await runCli(['keys', 'list'], { env: { ...env, TOKMON_API_KEY: serve.keys.read } });
    const noKey = await runCli(['keys', 'list'], { env: { TOKMON_ENDPOINT: serve.url, TOKMON_API_KEY: '' } });
    const badRole = await runCli(['keys', 'create', '--role', 'root'], { env });

    // Assess
    expect(created.code).toBe(0);
    expect(key).toMatch(/^tk_ingest_/);
    expect(JSON.parse(listed.stdout).keys.some((entry: { id: string }) => entry.id === id)).toBe(true);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`revoked ${id}`) });
    expect(withReadKey.code).toBe(1);
    expect(withReadKey.stderr).toMatch(/needs the admin role \(forbidden\)/);
    expect(noKey).toMatchObject({ code: 2, stderr: 'tokmon: no API key: pass --key or set TOKMON_API_KEY\n' });
    expect(badRole.code).toBe(2);
  });
});
