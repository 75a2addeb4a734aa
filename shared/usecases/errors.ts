/**
 * Failures a use case reports to its caller. The HTTP layer maps each code to a status in one
 * place (shared/http/errors.ts); messages are written for users and never carry internals.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'too_many_events'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'unknown_job'
  | 'not_configured'
  | 'upstream_failed'
  | 'throttled'
  | 'unavailable'
  | 'internal';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
