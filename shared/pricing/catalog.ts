import * as z from 'zod';
import { describeIssues } from '../domain/usage.js';
import { fractionDigits, parseScaledDecimal } from '../domain/money.js';
import builtInCatalogData from './catalog.json' with { type: 'json' };

/**
 * The price catalog is data (shared/pricing/catalog.json, plus an optional user override file).
 * This module validates it and compiles it into integer rates for the cost engine.
 */
const RATE_DIGITS = 6;
const MULTIPLIER_DIGITS = 3;
const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const rate = z
  .string({ error: 'expected a decimal string such as "3.75"' })
  .regex(/^\d+(\.\d+)?$/, { error: 'expected a non-negative decimal string such as "3.75"' })
  .refine((text) => fractionDigits(text) <= RATE_DIGITS, { error: `at most ${RATE_DIGITS} fractional digits` });
const multiplier = z
  .string({ error: 'expected a decimal string such as "0.5"' })
  .regex(/^\d+(\.\d+)?$/, { error: 'expected a non-negative decimal string such as "0.5"' })
  .refine((text) => fractionDigits(text) <= MULTIPLIER_DIGITS, { error: `at most ${MULTIPLIER_DIGITS} fractional digits` });
const instant = z
  .string()
  .regex(DATE_OR_TIME, { error: 'expected YYYY-MM-DD or an RFC 3339 timestamp' })
  .refine((text) => !Number.isNaN(Date.parse(text)), { error: 'is not a real date' });
const source = z.strictObject({
  url: z.string().min(1, { error: 'name where the price comes from' }),
  date: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, { error: 'expected YYYY-MM or YYYY-MM-DD' }),
});

const tokenRates = {
  input: rate,
  output: rate,
  cache_write_5m: rate,
  cache_write_1h: rate,
  cache_read: rate,
};
const rateSetSchema = z.strictObject(tokenRates);
const bandSchema = z.strictObject({ above_prompt_tokens: z.number().int().positive(), ...tokenRates });

const effectiveDated = {
  effective_from: instant.nullable(),
  effective_to: instant.nullable(),
  source,
  verified: z.boolean().optional(),
  notes: z.string().optional(),
};

const priceRowSchema = z
  .strictObject({
    ...effectiveDated,
    ...tokenRates,
    batch_multiplier: multiplier,
    us_inference_multiplier: multiplier.optional(),
    prompt_bands: z.array(bandSchema).optional(),
    fast: rateSetSchema.optional(),
  })
  .superRefine((row, ctx) => {
    if (row.fast && row.prompt_bands?.length) {
      ctx.addIssue({ code: 'custom', path: ['fast'], message: 'a row may have prompt_bands or fast rates, not both' });
    }
    const thresholds = (row.prompt_bands ?? []).map((band) => band.above_prompt_tokens);
    if (thresholds.some((value, index) => index > 0 && value <= (thresholds[index - 1] ?? 0))) {
      ctx.addIssue({ code: 'custom', path: ['prompt_bands'], message: 'above_prompt_tokens must increase from band to band' });
    }
  });

const modelSchema = z.strictObject({
  model: z.string().min(1),
  name: z.string().min(1).optional(),
  ids: z.array(z.string().min(1)).min(1, { error: 'list at least one model id' }),
  aliases: z.array(z.string().min(1)).optional(),
  prices: z.array(priceRowSchema).min(1, { error: 'give at least one price row' }),
});

const webSearchRowSchema = z.strictObject({ ...effectiveDated, per_1000_requests: rate });

export const catalogFileSchema = z.strictObject({
  $schema: z.string().optional(),
  catalog_version: z.string().optional(),
  currency: z.literal('USD').optional(),
  unit: z.string().optional(),
  notes: z.array(z.string()).optional(),
  web_search: z.array(webSearchRowSchema).optional(),
  models: z.array(modelSchema).optional(),
});

export type CatalogFile = z.infer<typeof catalogFileSchema>;
type PriceRowData = z.infer<typeof priceRowSchema>;
type ModelData = z.infer<typeof modelSchema>;

/** Integer rates in attodollars per token (a rate per million tokens × 10^12). */
export interface TokenRates {
  input: bigint;
  output: bigint;
  cacheWrite5m: bigint;
  cacheWrite1h: bigint;
  cacheRead: bigint;
}

/** A multiplier as an exact fraction (1.1 → 11/10). */
export interface Fraction {
  numerator: bigint;
  denominator: bigint;
}

export interface PriceRow {
  from: number;
  to: number;
  base: TokenRates;
  bands: { abovePromptTokens: number; rates: TokenRates }[];
  fast: TokenRates | undefined;
  batch: Fraction;
  usInference: Fraction | undefined;
}

export interface ModelPrices {
  model: string;
  ids: string[];
  rows: PriceRow[];
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

function compileRates(data: z.infer<typeof rateSetSchema>): TokenRates {
  // rate per MTok × 10^18 atto / 10^6 tokens = rate scaled by 10^12 per token
  const toAttoPerToken = (text: string) => parseScaledDecimal(text, 12);
  return {
    input: toAttoPerToken(data.input),
    output: toAttoPerToken(data.output),
    cacheWrite5m: toAttoPerToken(data.cache_write_5m),
    cacheWrite1h: toAttoPerToken(data.cache_write_1h),
    cacheRead: toAttoPerToken(data.cache_read),
  };
}

function compileFraction(text: string): Fraction {
  return { numerator: parseScaledDecimal(text, MULTIPLIER_DIGITS), denominator: 10n ** BigInt(MULTIPLIER_DIGITS) };
}

function compileWindow(row: { effective_from: string | null; effective_to: string | null }): { from: number; to: number } {
  return {
    from: row.effective_from === null ? Number.NEGATIVE_INFINITY : Date.parse(row.effective_from),
    to: row.effective_to === null ? Number.POSITIVE_INFINITY : Date.parse(row.effective_to),
  };
}

function compileRow(row: PriceRowData): PriceRow {
  return {
    ...compileWindow(row),
    base: compileRates(row),
    bands: (row.prompt_bands ?? []).map((band) => ({ abovePromptTokens: band.above_prompt_tokens, rates: compileRates(band) })),
    fast: row.fast ? compileRates(row.fast) : undefined,
    batch: compileFraction(row.batch_multiplier),
    usInference: row.us_inference_multiplier === undefined ? undefined : compileFraction(row.us_inference_multiplier),
  };
}

function checkWindows(rows: { from: number; to: number }[], where: string): void {
  const sorted = [...rows].sort((a, b) => a.from - b.from);
  sorted.forEach((row, index) => {
    if (row.from >= row.to) throw new CatalogError(`${where}: effective_from must be before effective_to`);
    const previous = sorted[index - 1];
    if (previous && previous.to > row.from) throw new CatalogError(`${where}: price rows overlap in time`);
  });
}

function findRow<T extends { from: number; to: number }>(rows: readonly T[], at: number): T | undefined {
  return rows.find((row) => row.from <= at && at < row.to);
}

const DATED_SUFFIX = /-\d{8}$/;

/** A validated, compiled catalog: model lookup by id or alias, and the price rows in force at a time. */
export class PriceCatalog {
  private readonly byId = new Map<string, ModelPrices>();

  constructor(
    readonly models: readonly ModelPrices[],
    private readonly webSearchRows: readonly { from: number; to: number; perRequest: bigint }[],
  ) {
    for (const model of models) for (const id of model.ids) this.byId.set(id, model);
  }

  /** Exact id or alias first; an unlisted dated snapshot (`…-20270101`) falls back to its undated id. */
  findModel(modelId: string): ModelPrices | undefined {
    const exact = this.byId.get(modelId);
    if (exact) return exact;
    return DATED_SUFFIX.test(modelId) ? this.byId.get(modelId.replace(DATED_SUFFIX, '')) : undefined;
  }

  priceRowAt(model: ModelPrices, at: number): PriceRow | undefined {
    return findRow(model.rows, at);
  }

  /** Attodollars per web search request in force at a time. */
  webSearchPerRequestAt(at: number): bigint | undefined {
    return findRow(this.webSearchRows, at)?.perRequest;
  }
}

function modelIds(model: ModelData): string[] {
  return [...model.ids, ...(model.aliases ?? [])];
}

/** Validates catalog data; `label` names the file in error messages. */
export function parseCatalogFile(data: unknown, label: string): CatalogFile {
  const parsed = catalogFileSchema.safeParse(data);
  if (!parsed.success) throw new CatalogError(`${label}: ${describeIssues(parsed.error)}`);
  const seen = new Map<string, string>();
  for (const model of parsed.data.models ?? []) {
    for (const id of modelIds(model)) {
      const owner = seen.get(id);
      if (owner !== undefined && owner !== model.model) {
        throw new CatalogError(`${label}: model id "${id}" is listed under both ${owner} and ${model.model}`);
      }
      if (owner === model.model) throw new CatalogError(`${label}: model id "${id}" is listed twice under ${model.model}`);
      seen.set(id, model.model);
    }
    checkWindows(model.prices.map(compileWindow), `${label}: ${model.model}`);
  }
  checkWindows((parsed.data.web_search ?? []).map(compileWindow), `${label}: web_search`);
  return parsed.data;
}

/**
 * Applies a user's override file to a catalog: an override model replaces every built-in model
 * that shares one of its ids or aliases (all its price rows), other models are added, and
 * `web_search` rows, when given, replace the built-in ones.
 */
export function mergeCatalogFiles(base: CatalogFile, override: CatalogFile): CatalogFile {
  const overrideIds = new Set((override.models ?? []).flatMap(modelIds));
  const kept = (base.models ?? []).filter((model) => !modelIds(model).some((id) => overrideIds.has(id)));
  return {
    ...base,
    web_search: override.web_search ?? base.web_search,
    models: [...kept, ...(override.models ?? [])],
  };
}

export function compileCatalog(file: CatalogFile): PriceCatalog {
  const models = (file.models ?? []).map((model) => ({
    model: model.model,
    ids: modelIds(model),
    rows: model.prices.map(compileRow),
  }));
  const webSearch = (file.web_search ?? []).map((row) => ({
    ...compileWindow(row),
    // $ per 1,000 requests × 10^18 atto / 1,000 = scaled by 10^15 per request
    perRequest: parseScaledDecimal(row.per_1000_requests, 15),
  }));
  return new PriceCatalog(models, webSearch);
}

let builtInFile: CatalogFile | undefined;
/** The validated built-in catalog data, parsed on first use (not at module load: it would slow every cold start). */
export function builtInCatalogFile(): CatalogFile {
  builtInFile ??= parseCatalogFile(builtInCatalogData, 'built-in catalog');
  return builtInFile;
}

let builtIn: PriceCatalog | undefined;
export function builtInCatalog(): PriceCatalog {
  builtIn ??= compileCatalog(builtInCatalogFile());
  return builtIn;
}
