import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../cli/local/dynamoDbLocal.js';
import { BIN } from './runCli.js';

export interface ServeProcess {
  url: string;
  keys: { ingest: string; read: string; admin: string };
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real `tokmon serve` binary and waits until /v1/health answers. */
export async function startServe(env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const port = await freePort();
  const dataDir = env.TOKMON_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'tokmon-serve-'));
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, TOKMON_PORT: String(port), TOKMON_DATA_DIR: dataDir, TOKMON_LOG: 'silent', TOKMON_CONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tokmon serve exited early: ${output}`);
    try {
      if ((await fetch(`${url}/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`tokmon serve did not become ready: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const key = (role: string) => new RegExp(`${role} key:\\s+(\\S+)`).exec(output)?.[1] ?? '';
  return {
    url,
    keys: { ingest: key('ingest'), read: key('read'), admin: key('admin') },
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function call(url: string, path: string, options: { method?: string; key?: string; body?: unknown; rawBody?: string } = {}) {
  const response = await fetch(`${url}${path}`, {
    method: options.method ?? 'GET',
    headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), 'content-type': 'application/json' },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: response.status, body: body as Record<string, unknown> & { error?: { code: string; message: string } } };
}
