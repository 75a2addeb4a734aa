import { snsPublisherFromEnv } from '../../shared/adapters/sns/snsPublisher.js';
import { log } from '../../shared/runtime/log.js';
import { isJobName, JOBS } from '../../shared/runtime/jobs.js';
import { configureRuntime, runtime } from '../../shared/runtime/runtime.js';

configureRuntime({ publisher: snsPublisherFromEnv() });

function notPublished(result: unknown): string[] {
  const value = result as { alerts?: { failed?: string[] }; outcome?: string; id?: string };
  if (value.alerts?.failed) return value.alerts.failed;
  return value.outcome === 'failed' && value.id ? [value.id] : [];
}

/** What a schedule passes: the job to run (default `aggregate`) and, for reports, an optional period. */
export interface ScheduledJobInput {
  job?: string;
  day?: string;
  month?: string;
}

/**
 * Scheduled jobs: `aggregate` (every 5 minutes: applies closed journal windows and checks budgets),
 * `daily-report` and `monthly-report`. Each is safe to run twice or at once.
 */
export async function handler(input: ScheduledJobInput = {}): Promise<unknown> {
  const job = input.job ?? 'aggregate';
  if (!isJobName(job)) throw new Error(`unknown job ${job}`);
  const result = await JOBS[job](runtime(), { day: input.day, month: input.month });
  log('info', `job ${job} done`, { result });
  // Unpublished notifications stay claimed and go out on a later run; failing the invocation makes
  // the error alarm and the scheduler's retry see it.
  const failed = notPublished(result);
  if (failed.length > 0) throw new Error(`${failed.length} notification(s) not published yet: ${failed.join(', ')}`);
  return result;
}
