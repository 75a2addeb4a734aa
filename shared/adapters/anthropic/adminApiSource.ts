import Anthropic from '@anthropic-ai/sdk';
import { normaliseCents, type AnthropicCostRow, type AnthropicUsageRow } from '../../domain/anthropicReport.js';
import type { AnthropicReport, AnthropicReportSource, SpendLimit } from '../../usecases/ports.js';

/**
 * At most 5 dimensions per query; these are the ones reconciliation and attribution need: the
 * service tier prices batch apart from standard, the product separates API usage (trackable) from
 * claude.ai or Claude Code usage of the same organization.
 */
export const USAGE_GROUP_BY = ['model', 'api_key_id', 'workspace_id', 'service_tier', 'product'] as const;
export const COST_GROUP_BY = ['model', 'service_tier', 'product', 'cost_type', 'token_type'] as const;
const PAGE_SIZE = 1000;

interface Page<Item> {
  data: Item[];
  data_refreshed_at: string | null;
  hasNextPage(): boolean;
  getNextPage(): Promise<Page<Item>>;
}

async function allPages<Item>(first: Promise<Page<Item>>, onRefreshed: (at: string | null) => void): Promise<Item[]> {
  const items: Item[] = [];
  let page = await first;
  for (;;) {
    items.push(...page.data);
    onRefreshed(page.data_refreshed_at);
    if (!page.hasNextPage()) return items;
    page = await page.getNextPage();
  }
}

/**
 * Anthropic's Usage and Cost Analytics API through the official SDK (`client.beta.organization.
 * analytics`), with the admin key. The SDK pages through `next_page` and retries 429 and 5xx with
 * backoff (honouring retry-after) up to `maxRetries` times.
 */
export class AdminApiSource implements AnthropicReportSource {
  private readonly client: Anthropic;

  constructor(adminKey: string, options: { baseURL?: string; maxRetries?: number; timeoutMs?: number } = {}) {
    // authToken null: an ANTHROPIC_AUTH_TOKEN in the environment must not ride along with the admin key.
    this.client = new Anthropic({ apiKey: adminKey, authToken: null, baseURL: options.baseURL, maxRetries: options.maxRetries ?? 4, timeout: options.timeoutMs ?? 60_000, logLevel: 'off' });
  }

  async fetch(from: string, to: string): Promise<AnthropicReport> {
    let dataRefreshedAt: string | null = null;
    const refreshed = (at: string | null) => {
      if (at && (!dataRefreshedAt || at > dataRefreshedAt)) dataRefreshedAt = at;
    };
    const analytics = this.client.beta.organization.analytics;
    // Oldest first: rows that change while pages are read cannot move across a page boundary the way they could when sorted by size.
    const range = { starting_at: from, ending_at: to, time_bucket_width: '1h' as const, limit: PAGE_SIZE, order_by: 'time' as const, order: 'asc' as const };
    const [usageItems, costItems] = await Promise.all([
      allPages(analytics.usage.list({ ...range, group_by: [...USAGE_GROUP_BY] }) as unknown as Promise<Page<UsageItem>>, refreshed),
      allPages(analytics.cost.list({ ...range, group_by: [...COST_GROUP_BY] }) as unknown as Promise<Page<CostItem>>, refreshed),
    ]);
    return { usage: usageItems.map(usageRow), cost: costItems.map(costRow), dataRefreshedAt };
  }

  async spendLimits(): Promise<SpendLimit[] | undefined> {
    try {
      const items: SpendItem[] = [];
      for await (const item of this.client.beta.organization.spendLimits.effective.list()) items.push(item as unknown as SpendItem);
      return items.map((item) => ({
        period: item.period,
        amountCents: item.amount ?? null,
        periodToDateSpendCents: item.period_to_date_spend ?? '0',
        scope: typeof item.scope === 'string' ? item.scope : (item.scope?.type ?? 'organization'),
      }));
    } catch (error) {
      // Spend limits are an early-access API: an organization without it gets 403/404.
      if (error instanceof Anthropic.APIError && (error.status === 403 || error.status === 404)) return undefined;
      throw error;
    }
  }
}

interface UsageItem {
  starting_at: string;
  group: Record<string, unknown>;
  usage: {
    uncached_input_tokens: number;
    cache_read_input_tokens: number;
    cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
    output_tokens: number;
    server_tool_use?: { web_search_requests?: number } | null;
    requests: number | null;
  };
}

interface CostItem {
  starting_at: string;
  group: Record<string, unknown>;
  cost: { amount: string; list_amount: string };
}

interface SpendItem {
  period: string;
  amount?: string | null;
  period_to_date_spend?: string;
  scope?: string | { type?: string };
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function hourOf(startingAt: string): string {
  return new Date(Date.parse(startingAt)).toISOString();
}

function usageRow(item: UsageItem): AnthropicUsageRow {
  const usage = item.usage;
  return {
    hour: hourOf(item.starting_at),
    model: text(item.group.model),
    apiKeyId: text(item.group.api_key_id),
    workspaceId: text(item.group.workspace_id),
    serviceTier: text(item.group.service_tier),
    product: text(item.group.product),
    requests: usage.requests ?? 0,
    uncachedInputTokens: usage.uncached_input_tokens,
    cacheReadInputTokens: usage.cache_read_input_tokens,
    cacheWrite5mTokens: usage.cache_creation?.ephemeral_5m_input_tokens ?? 0,
    cacheWrite1hTokens: usage.cache_creation?.ephemeral_1h_input_tokens ?? 0,
    outputTokens: usage.output_tokens,
    webSearchRequests: usage.server_tool_use?.web_search_requests ?? 0,
  };
}

function costRow(item: CostItem): AnthropicCostRow {
  return {
    hour: hourOf(item.starting_at),
    model: text(item.group.model),
    serviceTier: text(item.group.service_tier),
    product: text(item.group.product),
    costType: text(item.group.cost_type),
    tokenType: text(item.group.token_type),
    amountCents: normaliseCents(item.cost.amount),
    listAmountCents: normaliseCents(item.cost.list_amount),
  };
}
