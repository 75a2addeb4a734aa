import type { Middleware } from '@anthropic-ai/sdk';
import { loadConfig } from '../shared/config/loadConfigFile.js';
import { formatUsd } from '../shared/domain/money.js';
import type { UsageEvent } from '../shared/domain/usage.js';
import type { UsageTotalsJson } from '../shared/domain/usageTotals.js';
import { loadCatalog } from '../shared/pricing/catalogFile.js';
import { CostEngine } from '../shared/pricing/priceUsage.js';
import { eventFromMessage, eventFromStream, eventsFromBatchResults, parseTagsHeader, TAGS_HEADER, type CaptureContext } from './capture.js';
import { BudgetExceededError, defaultSpoolDir, TokenMonitor } from './monitor.js';

export { BudgetExceededError };

export interface TokenMonitorOptions {
  /** tokmon ingestion endpoint; without it usage stays local (log + summary). */
  endpoint?: string;
  /** An ingest-role key for the endpoint. */
  apiKey?: string;
  /** A read-role key, needed only with `enforce: true`. */
  readKey?: string;
  /** Added to every event. */
  tags?: Record<string, string>;
  /** Where undelivered events wait; default `<os tmp>/tokmon-spool`. */
  spoolDir?: string;
  /** Spool size bound; the oldest files are dropped (with a warning) above it. Default 50 MiB. */
  spoolMaxBytes?: number;
  /** tokmon.yaml with the token_monitoring block; default $TOKMON_CONFIG, else ./tokmon.yaml if present. */
  config?: string;
  /** JSONL usage log written when `log_usage: true`; default ./tokmon-usage.jsonl. */
  usageLog?: string;
  /** Events per request to the endpoint (default 100) and the longest wait before sending (default 1 s). */
  batchSize?: number;
  flushIntervalMs?: number;
}

/** What `getTokenMonitor(client)` returns. */
export interface TokenMonitorHandle {
  /** Resolves once every captured event is accepted by the endpoint or safely in the spool. */
  flush(): Promise<void>;
  /** flush(), then stop. */
  close(): Promise<void>;
  /** The summary block for this process so far. */
  summary(): string;
  /** This process's totals (money as exact decimal strings). */
  totals(): UsageTotalsJson;
  /** Prices a request's input before sending it, with messages.countTokens. An estimate: output is unknown. */
  estimate(params: Record<string, unknown>): Promise<{ inputTokens: number; inputUsd: string | null; estimate: true; reason?: string }>;
}

interface MonitorableClient {
  middleware: ReadonlyArray<Middleware>;
  messages: { countTokens(params: never): PromiseLike<{ input_tokens: number }> };
}

const handles = new WeakMap<object, TokenMonitorHandle>();
const live = new Set<{ monitor: TokenMonitor; displayAtEnd: boolean }>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // When the app's work is done, send what is still buffered; this keeps the loop alive until sent or spooled.
  process.on('beforeExit', () => {
    for (const entry of live) void entry.monitor.flush().catch(() => undefined);
  });
  process.on('exit', () => {
    for (const entry of live) {
      try {
        entry.monitor.spoolUndelivered();
      } catch {
        // never fail the app's exit
      }
      if (entry.displayAtEnd) process.stderr.write(entry.monitor.summary() + '\n');
    }
  });
}

/** Per-call tags: `anthropic.messages.create(params, tokmonTags({ feature: 'chat' }))`. */
export function tokmonTags(tags: Record<string, string>, options: { headers?: Record<string, string> } = {}): { headers: Record<string, string> } {
  return { ...options, headers: { ...options.headers, [TAGS_HEADER]: JSON.stringify(tags) } };
}

const afterCaller = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function monitorMiddleware(monitor: TokenMonitor): Middleware {
  return async (request, next, ctx) => {
    const headers = new Headers(request.headers as ConstructorParameters<typeof Headers>[0]);
    const callTags = parseTagsHeader(headers.get(TAGS_HEADER));
    if (headers.has(TAGS_HEADER)) {
      headers.delete(TAGS_HEADER);
      request = { ...request, headers };
    }
    let path = '';
    try {
      path = new URL(request.url).pathname;
    } catch {
      return next(request);
    }
    const isMessage = (request.method ?? 'GET').toUpperCase() === 'POST' && path.endsWith('/v1/messages');
    const batch = /\/messages\/batches\/([^/]+)\/results$/.exec(path);
    if (!isMessage && !batch) return next(request);
    if (isMessage) await monitor.checkBudget();

    const started = performance.now();
    const response = await next(request);
    if (!response.ok) return response;
    try {
      const context: CaptureContext = { tags: { ...monitor.tags, ...callTags }, started, headers: response.headers, now: () => performance.now() };
      // Copies are taken now (the SDK is about to read the body); reading them waits until the
      // caller has its result, so capture work never sits in front of the caller's own parsing.
      if (batch) {
        const copy = response.clone();
        monitor.track(afterCaller().then(() => copy.text()).then((text) => eventsFromBatchResults(text, batch[1]!, context)));
      } else if (ctx.options?.stream) {
        const stream = ctx.parse<AsyncIterable<never>>(response);
        monitor.track(afterCaller().then(() => stream).then((events) => eventFromStream(events, context)).then((event) => (event ? [event] : [])));
      } else {
        const copy = response.clone();
        monitor.track(
          afterCaller()
            .then(() => copy.json() as Promise<Record<string, never>>)
            .then((message) => [eventFromMessage(message, context)].filter((event): event is UsageEvent => event !== undefined)),
        );
      }
    } catch {
      // a monitor failure never fails the caller's call
    }
    return response;
  };
}

/**
 * Wraps an Anthropic client: every successful `messages.create` (plain or streaming),
 * `messages.stream(...)` and `messages.batches.results(...)` becomes a usage event. The client
 * is returned as it was — same object, methods, results and errors — with a tokmon middleware added.
 */
export function withTokenMonitor<C extends object>(client: C, options: TokenMonitorOptions = {}): C {
  if (handles.has(client)) return client;
  const loaded = loadConfig(options.config);
  const config = loaded.tokenMonitoring;
  if (!config.enabled) return client;
  const monitor = new TokenMonitor({
    config,
    engine: new CostEngine(loadCatalog(loaded.priceOverridesPath)),
    endpoint: options.endpoint,
    apiKey: options.apiKey,
    readKey: options.readKey,
    tags: options.tags ?? {},
    spoolDir: options.spoolDir ?? defaultSpoolDir(),
    spoolMaxBytes: options.spoolMaxBytes ?? 50 * 1024 * 1024,
    usageLogPath: options.usageLog ?? 'tokmon-usage.jsonl',
    batchSize: options.batchSize ?? 100,
    flushIntervalMs: options.flushIntervalMs ?? 1_000,
    warn: (message) => process.stderr.write(message + '\n'),
  });
  const target = client as unknown as MonitorableClient;
  target.middleware = [...(target.middleware ?? []), monitorMiddleware(monitor)];
  const entry = { monitor, displayAtEnd: config.display_at_end };
  live.add(entry);
  installExitHooks();
  handles.set(client, {
    flush: () => monitor.flush(),
    close: async () => {
      await monitor.close();
      live.delete(entry);
    },
    summary: () => monitor.summary(),
    totals: () => monitor.totalsJson(),
    estimate: async (params) => {
      const { model, messages, system, tools, tool_choice, thinking } = params as Record<string, unknown>;
      const counted = await target.messages.countTokens({ model, messages, system, tools, tool_choice, thinking } as never);
      const priced = monitor.engine.priceUsage({ model: String(model), timestamp: new Date().toISOString(), usage: { input_tokens: counted.input_tokens, output_tokens: 0 } });
      return { inputTokens: counted.input_tokens, inputUsd: priced.priced ? formatUsd(priced.totalUsd) : null, estimate: true, ...(priced.reason ? { reason: priced.reason } : {}) };
    },
  });
  return client;
}

/** The monitor of a wrapped client, or undefined when the client is not wrapped (or monitoring is disabled). */
export function getTokenMonitor(client: object): TokenMonitorHandle | undefined {
  return handles.get(client);
}
