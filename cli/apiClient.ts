import { CliError, EXIT_USAGE } from './errors.js';

export interface ApiTarget {
  endpoint: string;
  key: string;
}

/** --endpoint/--key, defaulting to TOKMON_ENDPOINT and TOKMON_API_KEY. */
export function apiTarget(options: { endpoint?: string; key?: string }, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const endpoint = options.endpoint ?? env.TOKMON_ENDPOINT ?? 'http://127.0.0.1:8787';
  const key = options.key ?? env.TOKMON_API_KEY;
  if (!key) throw new CliError('no API key: pass --key or set TOKMON_API_KEY', EXIT_USAGE);
  return { endpoint: endpoint.replace(/\/+$/, ''), key };
}

/** Calls the tokmon HTTP API; any failure becomes one clear sentence. */
export async function callApi<T>(target: ApiTarget, method: string, path: string, body?: unknown, asText = false): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.endpoint}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach tokmon at ${target.endpoint} (${(error as Error).cause ? String(((error as Error).cause as Error).message ?? (error as Error).cause) : (error as Error).message}); is it running?`);
  }
  const text = await response.text();
  if (asText && response.ok) return text as T;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(`tokmon at ${target.endpoint} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } }).error;
    throw new CliError(`${error?.message ?? `request failed with status ${response.status}`} (${error?.code ?? response.status})`);
  }
  return data as T;
}
