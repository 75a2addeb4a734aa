import { anthropicSourceFromEnv } from '../../shared/adapters/anthropic/sourceFromEnv.js';
import { snsPublisherFromEnv } from '../../shared/adapters/sns/snsPublisher.js';
import { log } from '../../shared/runtime/log.js';
import { AppError } from '../../shared/usecases/errors.js';
import { JOBS } from '../../shared/runtime/jobs.js';
import { configureRuntime, runtime } from '../../shared/runtime/runtime.js';

configureRuntime({ publisher: snsPublisherFromEnv(), anthropic: anthropicSourceFromEnv() });

/**
 * Scheduled every `admin_api.poll_minutes`: re-reads Anthropic's usage and cost for the lookback
 * window and replaces what was stored for it. Safe to run twice or at once (one poll holds a lease).
 */
export async function handler(): Promise<unknown> {
  try {
    const result = await JOBS.poll(runtime());
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
