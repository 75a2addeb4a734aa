import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Spool } from '../../../client/spool.js';
import { eventFromStream, eventsFromBatchResults, rateLimitsFrom } from '../../../client/capture.js';
import { makeEvents } from '../../support/generators.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tokmon-spool-unit-'));

describe('spool', () => {
  test('written events come back once when claimed, and done removes the file', () => {
    // Prepare
    const spool = new Spool(dir(), 1_000_000, () => undefined);
    const events = makeEvents(3);
    spool.write(events);

    // Act
    const claimed = spool.claim();
    const second = spool.claim();
    spool.done(claimed[0]!.path);

    // Assess
    expect(claimed.map((file) => file.events)).toEqual([events]);
    expect(second).toEqual([]);
    expect(readdirSync(spool.dir)).toEqual([]);
  });

  test('two monitors on one spool never claim the same file', () => {
    const folder = dir();
    const a = new Spool(folder, 1_000_000, () => undefined);
    const b = new Spool(folder, 1_000_000, () => undefined);
    for (let i = 0; i < 6; i++) a.write(makeEvents(1, '2026-12-01', `m${i}`));
    const ids = [...a.claim(3), ...b.claim(10)].flatMap((file) => file.events.map((event) => event.id));
    expect(ids.sort()).toEqual(['m0_0', 'm1_0', 'm2_0', 'm3_0', 'm4_0', 'm5_0']);
  });

  test('a rejected file is moved aside and never claimed again', () => {
    const spool = new Spool(dir(), 1_000_000, () => undefined);
    spool.write(makeEvents(1));
    spool.reject(spool.claim()[0]!.path);
    expect(spool.claim()).toEqual([]);
    expect(readdirSync(spool.dir)[0]).toMatch(/^rejected-spool-/);
  });

  test('a released file can be claimed again', () => {
    const spool = new Spool(dir(), 1_000_000, () => undefined);
    spool.write(makeEvents(2));
    const [file] = spool.claim();
    spool.release(file!.path);
    expect(spool.claim()[0]!.events).toHaveLength(2);
  });

  test('over its size bound it drops the oldest files and warns once', () => {
    // Prepare
    const warnings: string[] = [];
    const spool = new Spool(dir(), 2_000, (message) => warnings.push(message));

    // Act
    for (let i = 0; i < 10; i++) spool.write(makeEvents(2, '2026-12-01', `f${i}`));

    // Assess
    const kept = spool.claim(100).flatMap((file) => file.events.map((event) => event.id));
    expect(kept).toContain('f9_0');
    expect(kept).not.toContain('f0_0');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/dropped the \d+ oldest file\(s\) of undelivered usage/);
  });
});

describe('capture', () => {
  const context = { tags: {}, started: 0, headers: new Headers({ 'request-id': 'req_1', 'anthropic-ratelimit-tokens-remaining': '9000', 'content-type': 'x' }), now: () => 5 };

  test('a stream cut off before message_stop records nothing rather than the placeholder', async () => {
    async function* events() {
      yield { type: 'message_start', message: { id: 'msg_1', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 1 } } };
      yield { type: 'message_delta', usage: { output_tokens: 50 } };
    }
    expect(await eventFromStream(events(), context)).toBeUndefined();
  });

  test('batch result lines that are not JSON or not succeeded are skipped', () => {
    const text = 'garbage\n{"custom_id":"a","result":{"type":"expired"}}\n{"custom_id":"b","result":{"type":"succeeded","message":{"id":"m","model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":2}}}}\n';
    expect(eventsFromBatchResults(text, 'msgbatch_1', context).map((event) => [event.id, event.usage.service_tier])).toEqual([['msgbatch_1:b', 'batch']]);
  });

  test('rate-limit headers are kept, others are not', () => {
    expect(rateLimitsFrom(context.headers)).toEqual({ 'anthropic-ratelimit-tokens-remaining': '9000' });
  });
});
