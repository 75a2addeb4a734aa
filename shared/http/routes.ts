/** Which function serves a request: the same split on API Gateway (infra) and in the local server. */
export type FunctionName = 'ingest' | 'api';

export const INGEST_ROUTE = { method: 'POST', path: '/v1/events' } as const;

export function functionFor(method: string, path: string): FunctionName {
  return method.toUpperCase() === INGEST_ROUTE.method && path === INGEST_ROUTE.path ? 'ingest' : 'api';
}
