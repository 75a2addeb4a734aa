import type { MiddlewareObj } from '@middy/core';
import type { ErrorCode } from '../usecases/errors.js';
import { AppError } from '../usecases/errors.js';
import { log } from '../runtime/log.js';
import { json, type HttpEvent, type HttpResult } from './apiEvent.js';

/** The one place where failures become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  too_many_events: 400,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_job: 404,
  not_configured: 409,
  upstream_failed: 502,
  method_not_allowed: 405,
  throttled: 429,
  unavailable: 503,
  internal: 500,
};

export function errorResponse(error: unknown, event?: HttpEvent): HttpResult {
  if (error instanceof AppError) {
    return json(STATUS[error.code], { error: { code: error.code, message: error.message } }, error.code === 'unavailable' ? { 'retry-after': '1' } : {});
  }
  const name = (error as { name?: string }).name ?? '';
  // Throttling, or a storage call cut off at the ingest deadline: nothing more will land, so retrying is safe.
  if (name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException' || name === 'RequestLimitExceeded' || name === 'AbortError' || name === 'TimeoutError') {
    return json(503, { error: { code: 'unavailable', message: 'storage is busy; retry the request' } }, { 'retry-after': '1' });
  }
  // Details go to the log (never keys or bodies); the caller gets a stable, internals-free body.
  log('error', 'request failed', { route: event?.routeKey, path: event?.rawPath, error: name, message: (error as Error)?.message, stack: (error as Error)?.stack });
  return json(500, { error: { code: 'internal', message: 'internal error; the request may be retried' } });
}

/** middy middleware: any thrown error becomes the contract's JSON error body. */
export function httpErrors(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      request.response = errorResponse(request.error, request.event);
    },
  };
}
