import { MAX_EVENTS_PER_BATCH } from '../usecases/recordEvents.js';
import { AppError } from '../usecases/errors.js';

/** POST /v1/events accepts one event object or `{"events": [...]}` with 1..1000 events. */
export function eventsFromBody(body: unknown): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('invalid_request', 'send one event object or {"events": [...]}');
  }
  if (!('events' in body)) return [body];
  const events = (body as { events: unknown }).events;
  if (!Array.isArray(events)) throw new AppError('invalid_request', '"events" must be an array');
  if (events.length === 0 || events.length > MAX_EVENTS_PER_BATCH) {
    throw new AppError('too_many_events', `"events" must hold between 1 and ${MAX_EVENTS_PER_BATCH} events; it holds ${events.length}`);
  }
  return events;
}
