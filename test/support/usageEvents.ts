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

/** The usage event of CONTRACT §3.1, as written there. */
export const contractExample = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  timestamp: '2026-12-04T10:15:30Z',
  model: 'claude-sonnet-4-5-20250929',
  usage: {
    input_tokens: 2095,
    output_tokens: 503,
    cache_creation_input_tokens: 2051,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 2051, ephemeral_1h_input_tokens: 0 },
    server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
    service_tier: 'standard',
    inference_geo: 'global',
    speed: 'standard',
  },
  requestId: 'req_018EeWyXxfu5pfWkrYcMdjWG',
  tags: { app: 'avatar-engine', feature: 'chat', user: 'u-42' },
  latencyMs: 1840,
  stream: true,
  stopReason: 'end_turn',
};
