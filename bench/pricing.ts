import { parseUsageRecord } from '../shared/domain/usage.js';
import { addToTotals, emptyTotals, totalsToJson } from '../shared/domain/usageTotals.js';
import { builtInCatalog } from '../shared/pricing/catalog.js';
import { CostEngine } from '../shared/pricing/priceUsage.js';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  floor?: number;
  ratio?: number;
  goal?: string;
}

/** Deterministic pseudo-random numbers so every run prices the same lines. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function generateLines(count: number, seed: number): string[] {
  const random = generator(seed);
  const models = builtInCatalog().models.flatMap((model) => model.ids);
  const tiers = ['standard', 'standard', 'standard', 'batch', 'priority'];
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const write5m = Math.floor(random() * 5_000);
    const write1h = random() < 0.2 ? Math.floor(random() * 5_000) : 0;
    lines[i] = JSON.stringify({
      id: `msg_bench_${seed}_${i}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 330 * 86_400_000)).toISOString(),
      model: models[Math.floor(random() * models.length)],
      usage: {
        input_tokens: Math.floor(random() * 300_000),
        output_tokens: Math.floor(random() * 4_000),
        cache_creation_input_tokens: write5m + write1h,
        cache_read_input_tokens: Math.floor(random() * 50_000),
        cache_creation: { ephemeral_5m_input_tokens: write5m, ephemeral_1h_input_tokens: write1h },
        server_tool_use: { web_search_requests: random() < 0.1 ? 1 : 0, web_fetch_requests: 0 },
        service_tier: tiers[Math.floor(random() * tiers.length)],
        inference_geo: random() < 0.2 ? 'us' : 'global',
        speed: 'standard',
      },
      requestId: `req_${i}`,
      tags: { app: 'bench', feature: random() < 0.5 ? 'chat' : 'search' },
      latencyMs: Math.floor(random() * 5_000),
      stream: random() < 0.5,
      stopReason: 'end_turn',
    });
  }
  return lines;
}

/**
 * Pricing throughput (JSON.parse + validation + cost engine + exact totals, i.e. what
 * `tokmon price` does per line) beside the floor of JSON.parse alone on the same lines.
 */
export function benchPricing(totalEvents = 1_000_000, chunk = 100_000): { rows: BenchRow[]; totals: unknown } {
  const engine = new CostEngine(builtInCatalog());
  const now = new Date().toISOString();
  const totals = emptyTotals();
  let parseNs = 0n;
  let priceNs = 0n;
  let sink = 0;
  const warmup = generateLines(20_000, 7);
  for (const line of warmup) engine.priceUsage((parseUsageRecord(JSON.parse(line), now) as { ok: true; event: never }).event);

  for (let done = 0, seed = 1; done < totalEvents; done += chunk, seed++) {
    const lines = generateLines(Math.min(chunk, totalEvents - done), seed);
    let start = process.hrtime.bigint();
    for (const line of lines) sink += (JSON.parse(line) as { usage: { input_tokens: number } }).usage.input_tokens;
    parseNs += process.hrtime.bigint() - start;

    start = process.hrtime.bigint();
    for (const line of lines) {
      const record = parseUsageRecord(JSON.parse(line), now);
      if (!record.ok) throw new Error(record.reason);
      addToTotals(totals, engine.priceUsage(record.event));
    }
    priceNs += process.hrtime.bigint() - start;
  }
  if (sink < 0) console.log(sink);
  const perSecond = (ns: bigint) => Math.round((totalEvents * 1e9) / Number(ns));
  const priced = perSecond(priceNs);
  const floor = perSecond(parseNs);
  return {
    rows: [{ name: `pricing throughput (${totalEvents.toLocaleString('en-US')} events)`, value: priced, unit: 'events/s', floor, ratio: priced / floor, goal: '≥ 0.5× JSON.parse' }],
    totals: totalsToJson(totals),
  };
}
