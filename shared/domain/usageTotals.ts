import { formatUsd, usdToAtto, type Atto } from './money.js';
import type { CostBreakdown, PricedUsage } from '../pricing/priceUsage.js';

/** Running totals over priced events: exact money, token counts by category. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  webSearchRequests: number;
  unpricedRequests: number;
  breakdown: CostBreakdown;
  costUsd: Atto;
  cacheSavingsUsd: Atto;
}

/** The contract's JSON form of totals (CONTRACT §3.2): money as exact decimal strings. */
export interface UsageTotalsJson {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  costUsd: string;
  cacheSavingsUsd: string;
  unpricedRequests: number;
}

export function emptyTotals(): UsageTotals {
  return {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: 0,
    webSearchRequests: 0,
    unpricedRequests: 0,
    breakdown: { inputUsd: 0n, outputUsd: 0n, cacheWrite5mUsd: 0n, cacheWrite1hUsd: 0n, cacheReadUsd: 0n, webSearchUsd: 0n },
    costUsd: 0n,
    cacheSavingsUsd: 0n,
  };
}

/** Adds one priced event to `totals` in place (the hot path of `tokmon price` and the aggregator). */
export function addToTotals(totals: UsageTotals, priced: PricedUsage): UsageTotals {
  const { quantities, breakdown } = priced;
  totals.requests += 1;
  totals.inputTokens += quantities.inputTokens;
  totals.outputTokens += quantities.outputTokens;
  totals.cacheCreationInputTokens += quantities.cacheWrite5mTokens + quantities.cacheWrite1hTokens;
  totals.cacheReadInputTokens += quantities.cacheReadTokens;
  totals.webSearchRequests += quantities.webSearchRequests;
  if (!priced.priced) {
    totals.unpricedRequests += 1;
    return totals;
  }
  const sum = totals.breakdown;
  sum.inputUsd += breakdown.inputUsd;
  sum.outputUsd += breakdown.outputUsd;
  sum.cacheWrite5mUsd += breakdown.cacheWrite5mUsd;
  sum.cacheWrite1hUsd += breakdown.cacheWrite1hUsd;
  sum.cacheReadUsd += breakdown.cacheReadUsd;
  sum.webSearchUsd += breakdown.webSearchUsd;
  totals.costUsd += priced.totalUsd;
  totals.cacheSavingsUsd += priced.cacheSavingsUsd;
  return totals;
}

export function totalsToJson(totals: UsageTotals): UsageTotalsJson {
  return {
    requests: totals.requests,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    cacheCreationInputTokens: totals.cacheCreationInputTokens,
    cacheReadInputTokens: totals.cacheReadInputTokens,
    costUsd: formatUsd(totals.costUsd),
    cacheSavingsUsd: formatUsd(totals.cacheSavingsUsd),
    unpricedRequests: totals.unpricedRequests,
  };
}

export function breakdownToJson(breakdown: CostBreakdown): Record<keyof CostBreakdown, string> {
  return {
    inputUsd: formatUsd(breakdown.inputUsd),
    outputUsd: formatUsd(breakdown.outputUsd),
    cacheWrite5mUsd: formatUsd(breakdown.cacheWrite5mUsd),
    cacheWrite1hUsd: formatUsd(breakdown.cacheWrite1hUsd),
    cacheReadUsd: formatUsd(breakdown.cacheReadUsd),
    webSearchUsd: formatUsd(breakdown.webSearchUsd),
  };
}

/** Adds `source` into `target` in place. */
export function mergeTotals(target: UsageTotals, source: UsageTotals): UsageTotals {
  target.requests += source.requests;
  target.inputTokens += source.inputTokens;
  target.outputTokens += source.outputTokens;
  target.cacheCreationInputTokens += source.cacheCreationInputTokens;
  target.cacheReadInputTokens += source.cacheReadInputTokens;
  target.webSearchRequests += source.webSearchRequests;
  target.unpricedRequests += source.unpricedRequests;
  for (const key of Object.keys(target.breakdown) as (keyof CostBreakdown)[]) target.breakdown[key] += source.breakdown[key];
  target.costUsd += source.costUsd;
  target.cacheSavingsUsd += source.cacheSavingsUsd;
  return target;
}

/** Tokens that count toward token limits: input + output + cache writes + cache reads. */
export function limitTokens(totals: UsageTotals): number {
  return totals.inputTokens + totals.outputTokens + totals.cacheCreationInputTokens + totals.cacheReadInputTokens;
}

/** Totals back from a server summary's JSON (totals plus its breakdown), for rendering the summary block. */
export function totalsFromJson(json: UsageTotalsJson, breakdown?: Record<keyof CostBreakdown, string> & { webSearchRequests?: number }): UsageTotals {
  const totals = emptyTotals();
  totals.requests = json.requests;
  totals.inputTokens = json.inputTokens;
  totals.outputTokens = json.outputTokens;
  totals.cacheCreationInputTokens = json.cacheCreationInputTokens;
  totals.cacheReadInputTokens = json.cacheReadInputTokens;
  totals.unpricedRequests = json.unpricedRequests;
  totals.costUsd = usdToAtto(json.costUsd);
  totals.cacheSavingsUsd = usdToAtto(json.cacheSavingsUsd);
  if (breakdown) {
    for (const key of Object.keys(totals.breakdown) as (keyof CostBreakdown)[]) totals.breakdown[key] = usdToAtto(breakdown[key]);
    totals.webSearchRequests = breakdown.webSearchRequests ?? 0;
  }
  return totals;
}
