import type { Atto } from '../domain/money.js';
import type { MessagesUsage, UsageEvent } from '../domain/usage.js';
import { builtInCatalog, type Fraction, type PriceCatalog, type PriceRow, type TokenRates } from './catalog.js';

/** Token counts of one request by price category. */
export interface UsageQuantities {
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  webSearchRequests: number;
}

export interface CostBreakdown {
  inputUsd: Atto;
  outputUsd: Atto;
  cacheWrite5mUsd: Atto;
  cacheWrite1hUsd: Atto;
  cacheReadUsd: Atto;
  webSearchUsd: Atto;
}

export interface PricedUsage {
  priced: boolean;
  /** Why the event could not be priced; set exactly when `priced` is false. */
  reason?: string;
  quantities: UsageQuantities;
  breakdown: CostBreakdown;
  totalUsd: Atto;
  cacheSavingsUsd: Atto;
}

/** Splits a usage object into price categories. Without a TTL split, cache writes are 5-minute writes. */
export function usageQuantities(usage: MessagesUsage): UsageQuantities {
  const split = usage.cache_creation;
  const written = usage.cache_creation_input_tokens ?? 0;
  const cacheWrite1hTokens = split?.ephemeral_1h_input_tokens ?? 0;
  const cacheWrite5mTokens = split ? (split.ephemeral_5m_input_tokens ?? 0) : written;
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheWrite5mTokens,
    cacheWrite1hTokens,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    webSearchRequests: usage.server_tool_use?.web_search_requests ?? 0,
  };
}

/** Input + cache writes + cache reads: what long-context and prompt-size bands are judged on. */
export function promptTokens(quantities: UsageQuantities): number {
  return quantities.inputTokens + quantities.cacheWrite5mTokens + quantities.cacheWrite1hTokens + quantities.cacheReadTokens;
}

const ZERO_BREAKDOWN: CostBreakdown = Object.freeze({
  inputUsd: 0n,
  outputUsd: 0n,
  cacheWrite5mUsd: 0n,
  cacheWrite1hUsd: 0n,
  cacheReadUsd: 0n,
  webSearchUsd: 0n,
});

const ONE: Fraction = { numerator: 1n, denominator: 1n };
const KNOWN_TIERS = new Set(['standard', 'priority', 'batch']);
const KNOWN_GEOS = new Set(['global', 'us', 'not_available']);
const KNOWN_SPEEDS = new Set(['standard', 'fast']);

interface EffectiveRates extends TokenRates {
  webSearch: bigint;
}

function unpriced(quantities: UsageQuantities, reason: string): PricedUsage {
  return { priced: false, reason, quantities, breakdown: ZERO_BREAKDOWN, totalUsd: 0n, cacheSavingsUsd: 0n };
}

function scale(rates: TokenRates, factor: Fraction): TokenRates {
  const apply = (value: bigint) => {
    // Catalog validation (≤6 rate digits, ≤3 per multiplier) makes this exact; refuse rather than round.
    if ((value * factor.numerator) % factor.denominator !== 0n) throw new Error('inexact rate multiplication');
    return (value * factor.numerator) / factor.denominator;
  };
  return {
    input: apply(rates.input),
    output: apply(rates.output),
    cacheWrite5m: apply(rates.cacheWrite5m),
    cacheWrite1h: apply(rates.cacheWrite1h),
    cacheRead: apply(rates.cacheRead),
  };
}

function multiply(a: Fraction, b: Fraction): Fraction {
  return { numerator: a.numerator * b.numerator, denominator: a.denominator * b.denominator };
}

/**
 * Prices usage with a catalog. Every rule is data from the catalog row in force at the event's
 * timestamp; the arithmetic is integer attodollars, so results are exact.
 */
export class CostEngine {
  // Effective rates depend only on (row, band, batch, geo, fast): cache them so the hot path is
  // a map lookup plus six multiplications.
  private readonly rateCache = new WeakMap<PriceRow, Map<string, EffectiveRates>>();

  constructor(readonly catalog: PriceCatalog) {}

  priceUsage(event: Pick<UsageEvent, 'model' | 'timestamp' | 'usage'>): PricedUsage {
    const usage = event.usage;
    const quantities = usageQuantities(usage);
    const tier = usage.service_tier ?? 'standard';
    const geo = usage.inference_geo ?? 'global';
    const speed = usage.speed ?? 'standard';
    if (!KNOWN_TIERS.has(tier)) return unpriced(quantities, `unknown service_tier "${tier}"`);
    if (!KNOWN_GEOS.has(geo)) return unpriced(quantities, `unknown inference_geo "${geo}"`);
    if (!KNOWN_SPEEDS.has(speed)) return unpriced(quantities, `unknown speed "${speed}"`);

    const model = this.catalog.findModel(event.model);
    if (!model) return unpriced(quantities, `model "${event.model}" is not in the price catalog`);
    const at = Date.parse(event.timestamp);
    const row = this.catalog.priceRowAt(model, at);
    if (!row) return unpriced(quantities, `no price for ${model.model} at ${event.timestamp}`);
    const fast = speed === 'fast';
    if (fast && !row.fast) return unpriced(quantities, `no fast-mode price for ${model.model}`);
    const webSearch = quantities.webSearchRequests > 0 ? this.catalog.webSearchPerRequestAt(at) : 0n;
    if (webSearch === undefined) return unpriced(quantities, `no web search price at ${event.timestamp}`);

    const prompt = promptTokens(quantities);
    let bandIndex = -1;
    if (!fast) for (let index = 0; index < row.bands.length; index++) if (prompt > row.bands[index]!.abovePromptTokens) bandIndex = index;
    const rates = this.effectiveRates(row, bandIndex, tier === 'batch', geo === 'us', fast, webSearch);

    const breakdown: CostBreakdown = {
      inputUsd: BigInt(quantities.inputTokens) * rates.input,
      outputUsd: BigInt(quantities.outputTokens) * rates.output,
      cacheWrite5mUsd: BigInt(quantities.cacheWrite5mTokens) * rates.cacheWrite5m,
      cacheWrite1hUsd: BigInt(quantities.cacheWrite1hTokens) * rates.cacheWrite1h,
      cacheReadUsd: BigInt(quantities.cacheReadTokens) * rates.cacheRead,
      webSearchUsd: BigInt(quantities.webSearchRequests) * rates.webSearch,
    };
    const totalUsd =
      breakdown.inputUsd +
      breakdown.outputUsd +
      breakdown.cacheWrite5mUsd +
      breakdown.cacheWrite1hUsd +
      breakdown.cacheReadUsd +
      breakdown.webSearchUsd;
    // What reads would have cost as plain input, minus what they cost, minus the premium paid for writes.
    const cacheSavingsUsd =
      BigInt(quantities.cacheReadTokens) * rates.input -
      breakdown.cacheReadUsd -
      (breakdown.cacheWrite5mUsd - BigInt(quantities.cacheWrite5mTokens) * rates.input) -
      (breakdown.cacheWrite1hUsd - BigInt(quantities.cacheWrite1hTokens) * rates.input);
    return { priced: true, quantities, breakdown, totalUsd, cacheSavingsUsd };
  }

  private effectiveRates(row: PriceRow, bandIndex: number, batch: boolean, usInference: boolean, fast: boolean, webSearch: bigint): EffectiveRates {
    let byRow = this.rateCache.get(row);
    if (!byRow) this.rateCache.set(row, (byRow = new Map()));
    const key = `${bandIndex}|${batch}|${usInference}|${fast}|${webSearch}`;
    let rates = byRow.get(key);
    if (!rates) {
      const band = row.bands[bandIndex];
      const base = fast && row.fast ? row.fast : band ? band.rates : row.base;
      const factor = multiply(batch ? row.batch : ONE, usInference ? (row.usInference ?? ONE) : ONE);
      rates = { ...scale(base, factor), webSearch };
      byRow.set(key, rates);
    }
    return rates;
  }
}

let defaultEngine: CostEngine | undefined;

/** Prices one usage event with the built-in catalog (or the engine's catalog when one is given). */
export function priceUsage(event: Pick<UsageEvent, 'model' | 'timestamp' | 'usage'>, engine?: CostEngine): PricedUsage {
  if (engine) return engine.priceUsage(event);
  defaultEngine ??= new CostEngine(builtInCatalog());
  return defaultEngine.priceUsage(event);
}
