import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A local server that speaks the documented Messages API: JSON and SSE responses (with several
 * cumulative message_delta events), count_tokens, the Batches API with a JSONL results_url, the
 * error shapes, request-id and rate-limit headers. Models named error-* trigger the errors.
 */
export const JSON_USAGE = {
  input_tokens: 2095,
  output_tokens: 503,
  cache_creation_input_tokens: 2051,
  cache_read_input_tokens: 100,
  cache_creation: { ephemeral_5m_input_tokens: 2051, ephemeral_1h_input_tokens: 0 },
  server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
  service_tier: 'standard',
  inference_geo: 'global',
};

export const STREAM_START_USAGE = {
  input_tokens: 472,
  output_tokens: 1,
  cache_creation_input_tokens: 3000,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
  service_tier: 'standard',
  inference_geo: 'us',
};

export interface FakeAnthropic {
  url: string;
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: unknown }[];
  close(): Promise<void>;
}

const RATE_HEADERS = {
  'anthropic-ratelimit-requests-limit': '1000',
  'anthropic-ratelimit-requests-remaining': '999',
  'anthropic-ratelimit-requests-reset': '2026-12-04T12:00:00Z',
  'anthropic-ratelimit-tokens-limit': '96000',
  'anthropic-ratelimit-tokens-remaining': '91000',
  'anthropic-ratelimit-tokens-reset': '2026-12-04T12:00:10Z',
};

function error(response: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}, details?: unknown) {
  response.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_error', ...headers });
  response.end(JSON.stringify({ type: 'error', error: { type, message, ...(details ? { details } : {}) }, request_id: 'req_error' }));
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  let counter = 0;
  const requests: FakeAnthropic['requests'] = [];
  let url = '';
  const server: Server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
      const id = ++counter;

      if (request.method === 'POST' && path === '/v1/messages') {
        const model = String(body?.model);
        if (model === 'error-429') return error(response, 429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', { 'retry-after': '7' });
        if (model === 'error-429-spend') return error(response, 429, 'rate_limit_error', 'You have reached your API usage limits', {}, { error_code: 'enforced_spend_limit_reached' });
        if (model === 'error-529') return error(response, 529, 'overloaded_error', 'Overloaded');
        if (model === 'error-credit') return error(response, 400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.');
        const headers = { 'request-id': `req_${id}`, ...RATE_HEADERS };
        if (body?.stream) {
          response.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
          const send = (event: string, data: unknown) => response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          send('message_start', { type: 'message_start', message: { id: `msg_stream_${id}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: STREAM_START_USAGE } });
          send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
          send('ping', { type: 'ping' });
          send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } });
          send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' world' } });
          send('content_block_stop', { type: 'content_block_stop', index: 0 });
          send('message_delta', { type: 'message_delta', delta: { stop_reason: null, stop_sequence: null }, usage: { output_tokens: 60 } });
          send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 472, cache_creation_input_tokens: 3000, cache_read_input_tokens: 0, output_tokens: 120 } });
          send('message_stop', { type: 'message_stop' });
          response.end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify({ id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'Hello world' }], stop_reason: 'end_turn', stop_sequence: null, usage: JSON_USAGE }));
        return;
      }
      if (request.method === 'POST' && path === '/v1/messages/count_tokens') {
        response.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
        response.end(JSON.stringify({ input_tokens: 1234 }));
        return;
      }
      const batch = /^\/v1\/messages\/batches\/([^/]+)(\/results)?$/.exec(path);
      if (request.method === 'GET' && batch) {
        const batchId = batch[1]!;
        if (!batch[2]) {
          response.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
          response.end(JSON.stringify({ id: batchId, type: 'message_batch', processing_status: 'ended', request_counts: { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 }, ended_at: '2026-12-04T10:00:00Z', created_at: '2026-12-04T09:00:00Z', expires_at: '2026-12-05T09:00:00Z', archived_at: null, cancel_initiated_at: null, results_url: `${url}/v1/messages/batches/${batchId}/results` }));
          return;
        }
        const message = (n: number) => ({ id: `msg_batch_${n}`, type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1000 * n, output_tokens: 100 * n, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: 'batch' } });
        const lines = [
          { custom_id: 'req-1', result: { type: 'succeeded', message: message(1) } },
          { custom_id: 'req-2', result: { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'bad' } } } },
          { custom_id: 'req-3', result: { type: 'succeeded', message: message(3) } },
        ];
        response.writeHead(200, { 'content-type': 'application/binary', 'request-id': `req_${id}` });
        response.end(lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
        return;
      }
      error(response, 404, 'not_found_error', `no route ${request.method} ${path}`);
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
