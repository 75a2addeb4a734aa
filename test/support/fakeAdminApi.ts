import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One usage row as the analytics API returns it (dimensions not grouped by are null). */
export interface FakeUsageRow {
  starting_at: string;
  group: Partial<Record<'model' | 'api_key_id' | 'workspace_id' | 'service_tier' | 'inference_geo' | 'product', string | null>>;
  usage: { uncached_input_tokens: number; cache_read_input_tokens: number; cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number }; output_tokens: number; server_tool_use: { web_search_requests: number }; requests: number };
}

export interface FakeCostRow {
  starting_at: string;
  group: Partial<Record<'model' | 'cost_type' | 'token_type' | 'service_tier' | 'product', string | null>>;
  cost: { amount: string; list_amount: string; currency?: string; requests?: number | null };
}

export interface FakeAdminApi {
  url: string;
  adminKey: string;
  usage: FakeUsageRow[];
  cost: FakeCostRow[];
  dataRefreshedAt: string | null;
  /** Rows per page, to force pagination through next_page/has_more. */
  pageSize: number;
  /** The next requests fail with these statuses (429 carries retry-after: 0). */
  failures: number[];
  spendLimits: unknown[] | 'not_found';
  requests: { path: string; query: URLSearchParams; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const ALL_DIMENSIONS = ['actor', 'actor_type', 'agent_id', 'api_key_id', 'claude_tag_category', 'claude_tag_user_id', 'context_window', 'deployment_id', 'environment_id', 'inference_geo', 'model', 'organization_id', 'product', 'rbac_group_id', 'service_tier', 'session_id', 'slack_channel_id', 'speed', 'user_profile_id', 'workspace_id', 'cost_type', 'token_type'];

function fullGroup(group: Record<string, string | null | undefined>, groupBy: string[]): Record<string, string | null> {
  const full: Record<string, string | null> = {};
  for (const name of ALL_DIMENSIONS) full[name] = groupBy.includes(name) ? (group[name] ?? null) : null;
  return full;
}

/**
 * A local server that speaks Anthropic's Usage and Cost Analytics API as documented (beta
 * `/v1/organizations/analytics/{usage,cost}` with hour buckets, `group_by[]`, `limit`, cursor
 * pagination through `next_page`/`has_more`, `data_refreshed_at`), the effective spend limits,
 * key auth (x-api-key or bearer) with 401 `authentication_error`, and injected 429/500 errors.
 */
export async function startFakeAdminApi(adminKey = 'sk-ant-admin01-test-key-000000000000'): Promise<FakeAdminApi> {
  const api: FakeAdminApi = {
    url: '',
    adminKey,
    usage: [],
    cost: [],
    dataRefreshedAt: null,
    pageSize: 1000,
    failures: [],
    spendLimits: 'not_found',
    requests: [],
    close: async () => {},
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    api.requests.push({ path: url.pathname, query: url.searchParams, headers: request.headers });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${api.requests.length}`, ...headers });
      response.end(JSON.stringify(body));
    };
    const failure = api.failures.shift();
    if (failure !== undefined) {
      const type = failure === 429 ? 'rate_limit_error' : failure === 529 ? 'overloaded_error' : 'api_error';
      send(failure, { type: 'error', error: { type, message: `injected ${failure}` } }, failure === 429 ? { 'retry-after': '0' } : {});
      return;
    }
    // The SDK (1.17) sends the key as a bearer token; the docs also accept it in x-api-key.
    const presented = request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
    if (presented !== api.adminKey) {
      send(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
      return;
    }
    if (url.pathname === '/v1/organizations/spend_limits/effective') {
      if (api.spendLimits === 'not_found') send(404, { type: 'error', error: { type: 'not_found_error', message: 'spend limits are not available to this organization' } });
      else send(200, { data: api.spendLimits, next_page: null });
      return;
    }
    const kind = url.pathname === '/v1/organizations/analytics/usage' ? 'usage' : url.pathname === '/v1/organizations/analytics/cost' ? 'cost' : undefined;
    if (!kind) {
      send(404, { type: 'error', error: { type: 'not_found_error', message: `no route ${url.pathname}` } });
      return;
    }
    const startingAt = url.searchParams.get('starting_at');
    if (!startingAt) {
      send(400, { type: 'error', error: { type: 'invalid_request_error', message: 'starting_at is required' } });
      return;
    }
    const from = Date.parse(startingAt);
    const to = Date.parse(url.searchParams.get('ending_at') ?? new Date(from + 31 * 86_400_000).toISOString());
    const groupBy = url.searchParams.getAll('group_by[]');
    const width = url.searchParams.get('time_bucket_width');
    const rows = (kind === 'usage' ? api.usage : api.cost)
      .filter((row) => {
        const at = Date.parse(row.starting_at);
        return at >= from && at < to;
      })
      .sort((a, b) => (url.searchParams.get('order_by') === 'time' ? Date.parse(a.starting_at) - Date.parse(b.starting_at) : 0) * (url.searchParams.get('order') === 'desc' ? -1 : 1));
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), api.pageSize);
    const offset = Number(Buffer.from(url.searchParams.get('page') ?? 'MA==', 'base64').toString('utf8'));
    const page = rows.slice(offset, offset + limit).map((row) => ({
      ...row,
      ending_at: new Date(Date.parse(row.starting_at) + (width === '1d' ? 86_400_000 : width === '1m' ? 60_000 : 3_600_000)).toISOString(),
      group: fullGroup(row.group as Record<string, string | null>, groupBy),
      ...(kind === 'usage'
        ? { usage: { ...(row as FakeUsageRow).usage, total_tokens: 0 } }
        : { cost: { currency: 'USD', requests: null, ...(row as FakeCostRow).cost } }),
    }));
    const more = offset + limit < rows.length;
    send(200, { data: page, has_more: more, next_page: more ? Buffer.from(String(offset + limit)).toString('base64') : null, data_refreshed_at: api.dataRefreshedAt });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  const address = server.address();
  api.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  api.close = () => new Promise<void>((done) => server.close(() => done()));
  return api;
}

/** A usage row of one hour for one model (api key and workspace set unless given as null). */
export function usageRow(hour: string, model: string, tokens: { input?: number; output?: number; write5m?: number; write1h?: number; read?: number; requests?: number; webSearch?: number }, group: FakeUsageRow['group'] = {}): FakeUsageRow {
  return {
    starting_at: hour,
    group: { model, api_key_id: 'apikey_01', workspace_id: 'wrkspc_01', service_tier: 'standard', inference_geo: 'global', product: 'messages_api', ...group },
    usage: {
      uncached_input_tokens: tokens.input ?? 0,
      cache_read_input_tokens: tokens.read ?? 0,
      cache_creation: { ephemeral_5m_input_tokens: tokens.write5m ?? 0, ephemeral_1h_input_tokens: tokens.write1h ?? 0 },
      output_tokens: tokens.output ?? 0,
      server_tool_use: { web_search_requests: tokens.webSearch ?? 0 },
      requests: tokens.requests ?? 1,
    },
  };
}

export function costRow(hour: string, model: string | null, tokenType: string | null, amountCents: string, listAmountCents = amountCents, costType = 'tokens', group: FakeCostRow['group'] = {}): FakeCostRow {
  return { starting_at: hour, group: { model, cost_type: costType, token_type: tokenType, service_tier: 'standard', product: 'messages_api', ...group }, cost: { amount: amountCents, list_amount: listAmountCents } };
}
