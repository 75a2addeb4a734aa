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
  inferenceGeo: string | null;
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

export const HOUR_MS = 3_600_000;

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** A stable key of a row's group, for replacing stored buckets. */
export function usageGroupKey(row: AnthropicUsageRow): string {
  return [row.model, row.apiKeyId, row.workspaceId, row.serviceTier, row.inferenceGeo].map((part) => part ?? '-').join('|');
}

export function costGroupKey(row: AnthropicCostRow): string {
  return [row.model, row.costType, row.tokenType].map((part) => part ?? '-').join('|');
}

export function usageTokens(row: AnthropicUsageRow): number {
  return row.uncachedInputTokens + row.cacheReadInputTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens + row.outputTokens;
}
