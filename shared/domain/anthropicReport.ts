import { parseScaledDecimal, ATTO_DIGITS, type Atto } from './money.js';

/**
 * What the Admin API's Usage and Cost Analytics endpoints report, one row per hour bucket and
 * group, as tokmon stores it. Dimensions are null when Anthropic cannot attribute them: a null
 * api key is Console/Workbench usage, a null workspace the default workspace.
 */
export interface AnthropicUsageRow {
  /** Start of the hour bucket, RFC 3339 UTC. */
  hour: string;
  model: string | null;
  apiKeyId: string | null;
  workspaceId: string | null;
  serviceTier: string | null;
  /** messages_api, message_batches_api, claude_code, chat…: only API products are tokmon's to track. */
  product: string | null;
  requests: number;
  uncachedInputTokens: number;
  cacheReadInputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  webSearchRequests: number;
}

export interface AnthropicCostRow {
  hour: string;
  model: string | null;
  serviceTier: string | null;
  product: string | null;
  costType: string | null;
  tokenType: string | null;
  /** Post-discount cost in cents, a decimal string with fractional cents. */
  amountCents: string;
  /** List price in cents. */
  listAmountCents: string;
}

/** "123.78912" cents → attodollars, exactly (cents carry at most 16 fractional digits here). */
export function centsToAtto(cents: string): Atto {
  const negative = cents.startsWith('-');
  const value = parseScaledDecimal(negative ? cents.slice(1) : cents, ATTO_DIGITS) / 100n;
  return negative ? -value : value;
}

/** Products whose usage goes through the Messages API, where tokmon's client can see it. */
export const API_PRODUCTS: ReadonlySet<string | null> = new Set([null, 'messages_api', 'message_batches_api']);

/** Amounts are decimal strings; anything else (an exponent, say) is normalised without losing digits where possible. */
export function normaliseCents(value: unknown): string {
  const text = String(value ?? '0');
  if (/^-?\d+(\.\d{1,16})?$/.test(text)) return text;
  const number = Number(text);
  if (!Number.isFinite(number)) return '0';
  return number.toFixed(16).replace(/0+$/, '').replace(/\.$/, '');
}

export const HOUR_MS = 3_600_000;

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** A stable key of a row's group, for replacing stored buckets. */
export function usageGroupKey(row: AnthropicUsageRow): string {
  return [row.model, row.apiKeyId, row.workspaceId, row.serviceTier, row.product].map((part) => part ?? '-').join('|');
}

export function costGroupKey(row: AnthropicCostRow): string {
  return [row.model, row.serviceTier, row.product, row.costType, row.tokenType].map((part) => part ?? '-').join('|');
}

export function usageTokens(row: AnthropicUsageRow): number {
  return row.uncachedInputTokens + row.cacheReadInputTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens + row.outputTokens;
}
