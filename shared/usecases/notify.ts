import { log } from '../runtime/log.js';
import type { Clock, Notification, NotificationClaim, NotificationLedger, NotificationPublisher } from './ports.js';

/**
 * A claim older than this and never marked sent is taken over and published again by the next
 * run. Longer than any publish may take (publishers give up after 30 s), so a live run is never
 * doubled by a concurrent one.
 */
export const CLAIM_LEASE_MS = 2 * 60_000;

export interface NotifyDeps {
  ledger: NotificationLedger;
  publisher: NotificationPublisher;
  clock: Clock;
  /** Critical notifications past this many in a day are kept from SMS subscribers. */
  smsDailyCap: number;
  /** The calendar day of `now` in the configured zone, for the SMS cap. */
  today: () => string;
}

export type DeliveryOutcome = 'published' | 'skipped' | 'failed';

async function publishClaim(claim: NotificationClaim, deps: NotifyDeps): Promise<DeliveryOutcome> {
  const { notification } = claim;
  try {
    const smsCapped = notification.severity === 'critical' && (await deps.ledger.countSms(deps.today(), notification.id)) > deps.smsDailyCap;
    await deps.publisher.publish(notification, { smsCapped });
  } catch (error) {
    // Left claimed: the next run after the lease publishes it again.
    log('error', 'notification not published', { id: notification.id, error: (error as Error).name, message: (error as Error).message });
    return 'failed';
  }
  // Published: a failing mark must not fail the run (its other notifications still go out). One
  // retry; if it still fails the claim is taken over after the lease and sent a second time.
  try {
    await deps.ledger.markSent(claim, deps.clock.now());
  } catch {
    try {
      await deps.ledger.markSent(claim, deps.clock.now());
    } catch (error) {
      log('error', 'published notification not marked sent; it may be sent again', { id: notification.id, error: (error as Error).name });
    }
  }
  return 'published';
}

/**
 * Publishes a notification at most once per id, whatever runs race or crash: claim it with a
 * conditional write, publish, mark it sent. A crash between claiming and marking leaves a claim
 * that the next run takes over after CLAIM_LEASE_MS and publishes again, so nothing claimed is lost.
 */
export async function notifyOnce(notification: Notification, deps: NotifyDeps): Promise<DeliveryOutcome> {
  const now = deps.clock.now();
  const claim = await deps.ledger.claim(notification, now, now - CLAIM_LEASE_MS);
  if (!claim) return 'skipped';
  return publishClaim(claim, deps);
}

/** Publishes claims of these months that an earlier run made and never marked sent (it crashed). */
export async function publishStaleClaims(months: readonly string[], deps: NotifyDeps): Promise<{ id: string; outcome: DeliveryOutcome }[]> {
  const now = deps.clock.now();
  const claims = await deps.ledger.claimStale(months, now, now - CLAIM_LEASE_MS);
  const outcomes = [];
  for (const claim of claims) outcomes.push({ id: claim.notification.id, outcome: await publishClaim(claim, deps) });
  return outcomes;
}
