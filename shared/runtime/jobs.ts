import { aggregateUsage, type AggregationResult } from '../usecases/aggregateUsage.js';
import { checkBudgets, type BudgetCheckResult } from '../usecases/checkBudgets.js';
import { dayOf } from '../domain/time.js';
import { publishReport } from '../usecases/reports.js';
import { requestPoll } from '../usecases/reconciliation.js';
import type { Runtime } from './runtime.js';

export interface AggregateJobResult extends AggregationResult {
  alerts: BudgetCheckResult;
}

/**
 * The scheduled jobs, by the name `POST /v1/jobs/<job>` and the scheduler use. `aggregate` also
 * checks budgets: alerts read exact live totals, so they need not wait for windows to close.
 */
export const JOBS = {
  aggregate: async (deps: Runtime): Promise<AggregateJobResult> => {
    const aggregation = await aggregateUsage(deps);
    return { ...aggregation, alerts: await checkBudgets(deps) };
  },
  'daily-report': (deps: Runtime, params: Record<string, string | undefined> = {}) => publishReport('daily', params.day, notifyDeps(deps)),
  'monthly-report': (deps: Runtime, params: Record<string, string | undefined> = {}) => publishReport('monthly', params.month, notifyDeps(deps)),
  /** Anthropic's usage and cost for the lookback window, or a backfill window (`from`, `to`, `resume`). */
  poll: (deps: Runtime, params: Record<string, string | undefined> = {}) =>
    requestPoll(notifyDeps(deps), { from: params.from, to: params.to, resume: params.resume === 'true' }),
} as const;

export type JobName = keyof typeof JOBS;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** A runtime plus what notifications need: the configured zone's today, for the SMS cap. */
export function notifyDeps(deps: Runtime) {
  return { ...deps, today: () => dayOf(deps.clock.now(), deps.settings.timezone) };
}
