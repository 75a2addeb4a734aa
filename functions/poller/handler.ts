import { anthropicSourceFromEnv } from '../../shared/adapters/anthropic/sourceFromEnv.js';
import { snsPublisherFromEnv } from '../../shared/adapters/sns/snsPublisher.js';
import { log } from '../../shared/runtime/log.js';
import { AppError } from '../../shared/usecases/errors.js';
import { notifyDeps } from '../../shared/runtime/jobs.js';
import { pollAnthropic } from '../../shared/usecases/reconciliation.js';
import { configureRuntime, runtime } from '../../shared/runtime/runtime.js';

configureRuntime({ publisher: snsPublisherFromEnv(), anthropic: anthropicSourceFromEnv() });

/**
 * Scheduled every `admin_api.poll_minutes`: re-reads Anthropic's usage and cost for the lookback
 * window and replaces what was stored for it; invoked by the api function with a backfill window.
 * Safe to run twice or at once (one poll holds a lease).
 */
export async function handler(input: { from?: string; to?: string; resume?: boolean } = {}): Promise<unknown> {
  try {
    // A backfill window handed over by the api function, or the scheduled lookback poll.
    const result = await pollAnthropic(notifyDeps(runtime()), input.from ? { from: input.from, to: input.to, resume: input.resume === true } : {});
    log('info', 'job poll done', { result });
    return result;
  } catch (error) {
    // Until the admin key is put into its secret the schedule has nothing to do; that is not a failure.
    if (error instanceof AppError && error.code === 'not_configured') {
      log('warn', 'poll skipped', { reason: error.message });
      return { polled: false, reason: error.message };
    }
    throw error;
  }
}
