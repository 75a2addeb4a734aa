import { z } from 'zod';

/**
 * The Messages API `usage` object and tokmon's usage event (CONTRACT §3.1). Schemas are loose:
 * fields Anthropic adds later are kept as they are, never rejected or dropped.
 */
const tokenCount = z
  .number({ error: 'expected a non-negative integer' })
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
  })
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
  id: z.string().min(1, { error: 'must not be empty' }).max(512, { error: 'is at most 512 characters' }),
  timestamp: z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp' }),
  model: z.string().min(1, { error: 'must not be empty' }).max(256, { error: 'is at most 256 characters' }),
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
  id: z.string().min(1).max(512),
  model: z.string().min(1).max(256),
  usage: messagesUsageSchema,
});

/** One line of a JSONL usage log: a usage event (has `timestamp`) or a raw Messages API response. */
export function parseUsageRecord(
  value: unknown,
  defaultTimestamp: string,
): { ok: true; event: UsageEvent } | { ok: false; reason: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'expected a JSON object' };
  }
  if ('timestamp' in value) {
    const parsed = usageEventSchema.safeParse(value);
    return parsed.success ? { ok: true, event: parsed.data } : { ok: false, reason: describeIssues(parsed.error) };
  }
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
      const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}
