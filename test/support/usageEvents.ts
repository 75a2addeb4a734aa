import type { MessagesUsage, UsageEvent } from '../../shared/domain/usage.js';

export const DEFAULT_TIMESTAMP = '2026-12-04T10:00:00Z';

/** A usage event with only the given usage fields; tokens default to zero. */
export function usageEvent(model: string, usage: Partial<MessagesUsage>, timestamp = DEFAULT_TIMESTAMP): UsageEvent {
  return {
    id: `msg_${model}_${timestamp}`,
    timestamp,
    model,
    usage: { input_tokens: 0, output_tokens: 0, ...usage },
  };
}
