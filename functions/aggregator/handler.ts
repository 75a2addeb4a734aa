import { snsPublisherFromEnv } from '../../shared/adapters/sns/snsPublisher.js';
import { log } from '../../shared/runtime/log.js';
import { isJobName, JOBS } from '../../shared/runtime/jobs.js';
import { configureRuntime, runtime } from '../../shared/runtime/runtime.js';

configureRuntime({ publisher: snsPublisherFromEnv() });

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
  return result;
}
