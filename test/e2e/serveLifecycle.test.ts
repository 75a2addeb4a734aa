import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { makeEvents } from '../support/generators.js';
import { runCli } from '../support/runCli.js';
import { call, startServe } from '../support/serveProcess.js';

/** Java processes serving DynamoDB Local from this data dir. */
function javaProcessesFor(dataDir: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes('DynamoDBLocal.jar') && line.includes(dataDir));
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe('tokmon serve lifecycle (its own DynamoDB Local)', () => {
  test('keeps data and keys across a restart, stops cleanly on SIGTERM and leaves no Java behind even on SIGKILL', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'tokmon-life-'));
    const first = await startServe({ TOKMON_DATA_DIR: dataDir });
    const events = makeEvents(25, '2026-09-09', 'life');
    const posted = await call(first.url, '/v1/events', { method: 'POST', key: first.keys.ingest, body: { events } });

    // Act
    const firstExit = await first.stop('SIGTERM');
    const javaAfterStop = javaProcessesFor(dataDir);
    const second = await startServe({ TOKMON_DATA_DIR: dataDir });
    const summary = await call(second.url, '/v1/summary?period=day&date=2026-09-09', { key: second.keys.read });
    second.child.kill('SIGKILL');
    const javaGone = await waitUntil(() => javaProcessesFor(dataDir).length === 0, 10_000);

    // Assess
    expect(posted.body).toMatchObject({ accepted: 25 });
    expect(firstExit).toBe(0);
    expect(javaAfterStop).toEqual([]);
    expect(second.keys).toEqual(first.keys);
    expect(summary.body.totals).toMatchObject({ requests: 25 });
    expect(javaGone).toBe(true);
  });

  test('without Java it says so in one sentence with the fix, and exits 1', async () => {
    // Act
    const result = await runCli(['serve'], { env: { PATH: '/nonexistent', TOKMON_DATA_DIR: mkdtempSync(join(tmpdir(), 'tokmon-nojava-')), TOKMON_CONFIG: '' } });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'tokmon: DynamoDB Local needs Java 17 or later, and no `java` was found on PATH: install it (for example `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`), or set TOKMON_DYNAMODB_ENDPOINT to a running DynamoDB.',
    ]);
  });

  test('an invalid configuration is refused at start, naming the key', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tokmon-badcfg-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(folder, 'tokmon.yaml'), 'token_monitoring:\n  timezone: Nowhere/Never\n');
    const result = await runCli(['serve'], { cwd: folder, env: { TOKMON_CONFIG: '', TOKMON_DATA_DIR: join(folder, 'data') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('tokmon.yaml: token_monitoring.timezone: is not an IANA time zone');
  });
});
