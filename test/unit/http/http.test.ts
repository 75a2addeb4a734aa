import { describe, expect, test } from '@jest/globals';
import { bearerToken, readJsonBody, type HttpEvent } from '../../../shared/http/apiEvent.js';
import { errorResponse } from '../../../shared/http/errors.js';
import { eventsFromBody } from '../../../shared/http/eventsBody.js';
import { functionFor } from '../../../shared/http/routes.js';
import { ApiKeyResolver, hashApiKey, roleAllows } from '../../../shared/usecases/apiKeys.js';
import { AppError } from '../../../shared/usecases/errors.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../../shared/usecases/ports.js';
import { dayOf, startOfDay, daysOfMonth, isValidDay } from '../../../shared/domain/time.js';

function event(change: Partial<HttpEvent>): HttpEvent {
  return { version: '2.0', routeKey: '$default', rawPath: '/', rawQueryString: '', headers: {}, isBase64Encoded: false, requestContext: { http: { method: 'GET' } } as HttpEvent['requestContext'], ...change };
}

describe('request parsing', () => {
  test('reads a bearer token case-insensitively and ignores other schemes', () => {
    expect(bearerToken(event({ headers: { Authorization: 'Bearer abc' } }))).toBe('abc');
    expect(bearerToken(event({ headers: { authorization: 'bearer  abc ' } }))).toBe('abc');
    expect(bearerToken(event({ headers: { authorization: 'Basic abc' } }))).toBeUndefined();
  });

  test('decodes base64 bodies and refuses bodies over 1 MiB with payload_too_large', () => {
    expect(readJsonBody(event({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true }))).toEqual({ a: 1 });
    expect(() => readJsonBody(event({ body: 'x'.repeat(1024 * 1024 + 1) }))).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    expect(() => readJsonBody(event({ body: '{' }))).toThrow(expect.objectContaining({ code: 'invalid_json' }));
  });

  test('accepts one event or an envelope of 1..1000', () => {
    expect(eventsFromBody({ id: 'a' })).toEqual([{ id: 'a' }]);
    expect(eventsFromBody({ events: [1, 2] })).toEqual([1, 2]);
    expect(() => eventsFromBody({ events: [] })).toThrow(expect.objectContaining({ code: 'too_many_events' }));
    expect(() => eventsFromBody([1])).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  test('POST /v1/events goes to ingest and every other request to api', () => {
    expect(functionFor('post', '/v1/events')).toBe('ingest');
    expect(functionFor('GET', '/v1/events')).toBe('api');
    expect(functionFor('POST', '/v1/events/')).toBe('api');
  });
});

describe('error mapping', () => {
  test.each([
    ['invalid_json', 400],
    ['payload_too_large', 413],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['unavailable', 503],
  ] as const)('%s maps to %i with the contract body', (code, status) => {
    const response = errorResponse(new AppError(code, 'message for users'));
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body!)).toEqual({ error: { code, message: 'message for users' } });
  });

  test('an unexpected error becomes a 500 that reveals nothing', () => {
    process.env.TOKMON_LOG = 'silent';
    const response = errorResponse(new Error('table tokmon-events at 10.0.0.1 exploded'));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('tokmon-events');
    expect(JSON.parse(response.body!).error.code).toBe('internal');
  });
});

describe('API keys', () => {
  const stored: ApiKeyRecord = { id: 'key_1', role: 'read', name: 'x', createdAt: '2026-12-04T00:00:00Z' };
  const store: ApiKeyStore = {
    findByHash: async (hash) => (hash === hashApiKey('stored-key') ? stored : undefined),
    create: async () => undefined,
    list: async () => [stored],
    revoke: async () => true,
  };
  const resolver = new ApiKeyResolver(async () => [{ role: 'admin', id: 'local-admin', key: 'static-admin-key' }], store, { now: () => 0 });

  test('resolves static keys, stored keys by hash, and nothing else', async () => {
    expect(await resolver.resolve('static-admin-key')).toEqual({ id: 'local-admin', role: 'admin' });
    expect(await resolver.resolve('stored-key')).toEqual({ id: 'key_1', role: 'read' });
    expect(await resolver.resolve('static-admin-ke')).toBeUndefined();
  });

  test('admin may do everything, other roles only their own', () => {
    expect(roleAllows('admin', 'ingest')).toBe(true);
    expect(roleAllows('read', 'read')).toBe(true);
    expect(roleAllows('read', 'ingest')).toBe(false);
    expect(roleAllows('ingest', 'admin')).toBe(false);
  });
});

describe('calendar in a time zone', () => {
  test('days follow the configured zone, including across DST', () => {
    expect(dayOf(Date.parse('2026-12-04T23:30:00Z'), 'Europe/Berlin')).toBe('2026-12-05');
    expect(new Date(startOfDay('2026-03-29', 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(startOfDay('2026-03-30', 'Europe/Berlin')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(new Date(startOfDay('2026-11-01', 'America/New_York')).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(daysOfMonth('2028-02')).toHaveLength(29);
    expect(isValidDay('2026-02-29')).toBe(false);
  });
});
