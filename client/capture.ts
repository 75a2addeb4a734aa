import type { UsageEvent } from '../shared/domain/usage.js';
import { mergeStreamUsage } from '../shared/domain/streamUsage.js';
import type { MessageDeltaUsage, MessagesUsage } from '../shared/domain/usage.js';

/** The header `tokmonTags()` sets on one call; the monitor reads it and strips it before the request leaves. */
export const TAGS_HEADER = 'x-tokmon-tags';

/** Remaining-capacity figures from Anthropic's `anthropic-ratelimit-*` response headers. */
export type RateLimits = Record<string, string>;

export function rateLimitsFrom(headers: Headers): RateLimits | undefined {
  const limits: RateLimits = {};
  headers.forEach((value, name) => {
    if (name.startsWith('anthropic-ratelimit-') || name.startsWith('anthropic-priority-') || name === 'retry-after') limits[name] = value;
  });
  return Object.keys(limits).length > 0 ? limits : undefined;
}

export interface CaptureContext {
  tags: Record<string, string>;
  started: number;
  headers: Headers;
  now: () => number;
}

interface MessageLike {
  id?: string;
  model?: string;
  usage?: MessagesUsage;
  stop_reason?: string | null;
}

function baseEvent(message: MessageLike, context: CaptureContext, stream: boolean): UsageEvent | undefined {
  if (!message.id || !message.model || !message.usage) return undefined;
  const rateLimits = rateLimitsFrom(context.headers);
  return {
    id: message.id,
    timestamp: new Date().toISOString(),
    model: message.model,
    usage: message.usage,
    requestId: context.headers.get('request-id') ?? undefined,
    ...(Object.keys(context.tags).length > 0 ? { tags: context.tags } : {}),
    latencyMs: Math.round(context.now() - context.started),
    stream,
    stopReason: message.stop_reason ?? null,
    ...(rateLimits ? { rateLimits } : {}),
  };
}

/** A Messages API JSON response → one usage event. */
export function eventFromMessage(message: MessageLike, context: CaptureContext): UsageEvent | undefined {
  return baseEvent(message, context, false);
}

interface StreamEvent {
  type: string;
  message?: MessageLike;
  usage?: MessageDeltaUsage;
  delta?: { stop_reason?: string | null };
}

/**
 * A Messages SSE stream → one usage event with the final cumulative usage: the TTL split, tier and
 * geo from `message_start`, every `message_delta` replacing (never adding to) the counts so far.
 */
export async function eventFromStream(events: AsyncIterable<StreamEvent>, context: CaptureContext): Promise<UsageEvent | undefined> {
  let start: MessageLike | undefined;
  const deltas: MessageDeltaUsage[] = [];
  let stopReason: string | null = null;
  let stopped = false;
  for await (const event of events) {
    if (event.type === 'message_start' && event.message) start = event.message;
    else if (event.type === 'message_delta') {
      if (event.usage) deltas.push(event.usage);
      if (event.delta?.stop_reason !== undefined) stopReason = event.delta.stop_reason;
    } else if (event.type === 'message_stop') stopped = true;
  }
  // A stream cut off before message_stop has no final usage: recording the placeholder would undercount.
  if (!start?.usage || !stopped) return undefined;
  return baseEvent({ ...start, usage: mergeStreamUsage(start.usage, deltas), stop_reason: stopReason }, context, true);
}

interface BatchResultLine {
  custom_id?: string;
  result?: { type?: string; message?: MessageLike };
}

/** Batch results (JSONL) → one event per succeeded result, id `<batch id>:<custom_id>`, priced as batch. */
export function eventsFromBatchResults(text: string, batchId: string, context: CaptureContext): UsageEvent[] {
  const events: UsageEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: BatchResultLine;
    try {
      parsed = JSON.parse(line) as BatchResultLine;
    } catch {
      continue;
    }
    const message = parsed.result?.message;
    if (parsed.result?.type !== 'succeeded' || !message?.usage || !parsed.custom_id) continue;
    const event = baseEvent({ ...message, id: `${batchId}:${parsed.custom_id}`, usage: { ...message.usage, service_tier: 'batch' } }, context, false);
    // The results download's latency says nothing about each message, so none is recorded.
    if (event) events.push({ ...event, latencyMs: undefined });
  }
  return events;
}

export function parseTagsHeader(value: string | null): Record<string, string> {
  if (!value) return {};
  try {
    const tags = JSON.parse(value) as unknown;
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return {};
    return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}
