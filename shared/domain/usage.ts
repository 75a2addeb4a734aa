import * as z from 'zod';

/**
 * The Messages API `usage` object and tokmon's usage event (CONTRACT §3.1). Schemas are loose:
 * fields Anthropic adds later are kept as they are, never rejected or dropped.
 */
/** A schema-level message that still says "is required" when the field is missing. */
export function expected(text: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : text);
}

const tokenCount = z
  .number({ error: expected('expected a non-negative integer') })
  .int({ error: 'expected a non-negative integer' })
  .nonnegative({ error: 'expected a non-negative integer' })
  .max(Number.MAX_SAFE_INTEGER, { error: 'is too large' });

export const cacheCreationSchema = z.looseObject({
  ephemeral_5m_input_tokens: tokenCount.nullish(),
  ephemeral_1h_input_tokens: tokenCount.nullish(),
});

export const serverToolUseSchema = z.looseObject({
  web_search_requests: tokenCount.nullish(),
  web_fetch_requests: tokenCount.nullish(),
});

export const outputTokensDetailsSchema = z.looseObject({
  thinking_tokens: tokenCount.nullish(),
});

export const messagesUsageSchema = z
  .looseObject({
    input_tokens: tokenCount,
    output_tokens: tokenCount,
    cache_creation_input_tokens: tokenCount.nullish(),
    cache_read_input_tokens: tokenCount.nullish(),
    cache_creation: cacheCreationSchema.nullish(),
    output_tokens_details: outputTokensDetailsSchema.nullish(),
    server_tool_use: serverToolUseSchema.nullish(),
    service_tier: z.string().nullish(),
    inference_geo: z.string().nullish(),
    speed: z.string().nullish(),
  }, { error: expected('expected the Messages API usage object') })
  .superRefine((usage, ctx) => {
    const split = usage.cache_creation;
    const total = usage.cache_creation_input_tokens;
    if (split && total != null) {
      const splitSum = (split.ephemeral_5m_input_tokens ?? 0) + (split.ephemeral_1h_input_tokens ?? 0);
      if (splitSum !== total) {
        ctx.addIssue({
          code: 'custom',
          path: ['cache_creation'],
          message: `5-minute plus 1-hour cache writes (${splitSum}) differ from cache_creation_input_tokens (${total})`,
        });
      }
    }
    const thinking = usage.output_tokens_details?.thinking_tokens;
    if (thinking != null && thinking > usage.output_tokens) {
      ctx.addIssue({
        code: 'custom',
        path: ['output_tokens_details', 'thinking_tokens'],
        message: 'exceeds output_tokens, which includes thinking tokens',
      });
    }
  });

export type MessagesUsage = z.infer<typeof messagesUsageSchema>;

/** `message_delta.usage`: cumulative counts, each omitted or null when it does not apply. */
export const messageDeltaUsageSchema = z.looseObject({
  input_tokens: tokenCount.nullish(),
  output_tokens: tokenCount.nullish(),
  cache_creation_input_tokens: tokenCount.nullish(),
  cache_read_input_tokens: tokenCount.nullish(),
  output_tokens_details: outputTokensDetailsSchema.nullish(),
  server_tool_use: serverToolUseSchema.nullish(),
});

export type MessageDeltaUsage = z.infer<typeof messageDeltaUsageSchema>;

export const MAX_TAGS = 20;

export const tagsSchema = z
  .record(
    z.string().min(1, { error: 'tag keys must not be empty' }).max(64, { error: 'tag keys are at most 64 characters' }),
    z.string({ error: 'tag values must be strings' }).max(256, { error: 'tag values are at most 256 characters' }),
  )
  .refine((tags) => Object.keys(tags).length <= MAX_TAGS, { error: `at most ${MAX_TAGS} tags` });

export const usageEventSchema = z.looseObject({
  id: z.string({ error: expected('expected a string') }).min(1, { error: 'must not be empty' }).max(512, { error: 'is at most 512 characters' }),
  timestamp: z.iso.datetime({ offset: true, error: expected('expected an RFC 3339 timestamp') }),
  model: z.string({ error: expected('expected a string') }).min(1, { error: 'must not be empty' }).max(256, { error: 'is at most 256 characters' }),
  usage: messagesUsageSchema,
  requestId: z.string().max(256).nullish(),
  tags: tagsSchema.optional(),
  latencyMs: z.number().nonnegative().nullish(),
  stream: z.boolean().nullish(),
  stopReason: z.string().nullish(),
});

export type UsageEvent = z.infer<typeof usageEventSchema>;

/** A raw Messages API response (`type: "message"`), as an app may have logged it. */
export const messagesResponseSchema = z.looseObject({
  id: z.string({ error: expected('expected a string') }).min(1).max(512),
  model: z.string({ error: expected('expected a string') }).min(1).max(256),
  usage: messagesUsageSchema,
});

const timestampSchema = usageEventSchema.shape.timestamp;

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isOptionalCount = (value: unknown) => value == null || isCount(value);
const isOptionalString = (value: unknown, max = Number.POSITIVE_INFINITY) => value == null || (typeof value === 'string' && value.length <= max);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isPlainValidUsage(usage: unknown): boolean {
  if (!isObject(usage) || !isCount(usage.input_tokens) || !isCount(usage.output_tokens)) return false;
  if (!isOptionalCount(usage.cache_creation_input_tokens) || !isOptionalCount(usage.cache_read_input_tokens)) return false;
  const split = usage.cache_creation;
  if (split != null) {
    if (!isObject(split) || !isOptionalCount(split.ephemeral_5m_input_tokens) || !isOptionalCount(split.ephemeral_1h_input_tokens)) return false;
    const total = usage.cache_creation_input_tokens;
    if (total != null && ((split.ephemeral_5m_input_tokens as number | null) ?? 0) + ((split.ephemeral_1h_input_tokens as number | null) ?? 0) !== total) return false;
  }
  const tools = usage.server_tool_use;
  if (tools != null && (!isObject(tools) || !isOptionalCount(tools.web_search_requests) || !isOptionalCount(tools.web_fetch_requests))) return false;
  const details = usage.output_tokens_details;
  if (details != null && (!isObject(details) || !isOptionalCount(details.thinking_tokens) || ((details.thinking_tokens as number | null) ?? 0) > usage.output_tokens)) return false;
  return isOptionalString(usage.service_tier) && isOptionalString(usage.inference_geo) && isOptionalString(usage.speed);
}

function isPlainValidTags(tags: unknown): boolean {
  if (tags === undefined) return true;
  if (!isObject(tags)) return false;
  let count = 0;
  for (const key in tags) {
    if (!Object.hasOwn(tags, key)) continue;
    const value = tags[key];
    // "__proto__" is left to the schema, which drops it.
    if (++count > MAX_TAGS || key.length === 0 || key.length > 64 || key === '__proto__' || typeof value !== 'string' || value.length > 256) return false;
  }
  return true;
}

/**
 * A fast check that accepts only values `usageEventSchema` accepts unchanged (a property test pins
 * this). Schema validation costs about 10 µs an event, more than parsing the JSON; hot paths try
 * this first and fall back to the schema, which alone decides rejections and their messages.
 */
export function isPlainValidUsageEvent(value: unknown): value is UsageEvent {
  if (!isObject(value)) return false;
  const { id, model, timestamp } = value;
  if (typeof id !== 'string' || id.length === 0 || id.length > 512) return false;
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) return false;
  if (typeof timestamp !== 'string' || !isPlainValidUsage(value.usage) || !isPlainValidTags(value.tags)) return false;
  if (!isOptionalString(value.requestId, 256) || !isOptionalString(value.stopReason)) return false;
  if (value.latencyMs != null && !(typeof value.latencyMs === 'number' && Number.isFinite(value.latencyMs) && value.latencyMs >= 0)) return false;
  if (value.stream != null && typeof value.stream !== 'boolean') return false;
  return timestampSchema.safeParse(timestamp).success;
}

export type ParsedUsageEvent = { ok: true; event: UsageEvent } | { ok: false; reason: string };

/** Validates one usage event (CONTRACT §3.1). */
export function parseUsageEvent(value: unknown): ParsedUsageEvent {
  if (isPlainValidUsageEvent(value)) return { ok: true, event: value };
  const parsed = usageEventSchema.safeParse(value);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, reason: describeIssues(parsed.error) };
}

/** One line of a JSONL usage log: a usage event (has `timestamp`) or a raw Messages API response. */
export function parseUsageRecord(value: unknown, defaultTimestamp: string): ParsedUsageEvent {
  if (!isObject(value)) return { ok: false, reason: 'expected a JSON object' };
  if ('timestamp' in value) return parseUsageEvent(value);
  const parsed = messagesResponseSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const { id, model, usage } = parsed.data;
  return { ok: true, event: { id, model, usage, timestamp: defaultTimestamp } };
}

/** One readable sentence for a validation failure: "usage.input_tokens: expected a non-negative integer". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
