import middy from '@middy/core';
import { json, method, readJsonBody, type HttpEvent, type HttpResult } from '../../shared/http/apiEvent.js';
import { authorize } from '../../shared/http/auth.js';
import { httpErrors } from '../../shared/http/errors.js';
import { adminKeyFromSecret } from '../../shared/runtime/adminKeySecret.js';
import { configureRuntime, runtime, type Runtime } from '../../shared/runtime/runtime.js';
import { aggregateUsage } from '../../shared/usecases/aggregateUsage.js';
import { createApiKey, revokeApiKey } from '../../shared/usecases/apiKeys.js';
import { AppError } from '../../shared/usecases/errors.js';
import { getSummary, parseSummaryQuery } from '../../shared/usecases/getSummary.js';
import { dayOf } from '../../shared/domain/time.js';
import { buildMonthlyReport, monthlyReportCsv, monthlyReportText } from '../../shared/usecases/monthlyReport.js';

const secretArn = process.env.TOKMON_ADMIN_KEY_SECRET_ARN;
if (secretArn) configureRuntime({ extraKeys: adminKeyFromSecret(secretArn) });

type Route = (event: HttpEvent, deps: Runtime, params: string[]) => Promise<HttpResult>;

/** Jobs that `POST /v1/jobs/<job>` runs now; later issues add poll and the reports. */
export const JOBS: Record<string, (deps: Runtime) => Promise<unknown>> = {
  aggregate: (deps) => aggregateUsage(deps),
};

const routes: { method: string; pattern: RegExp; route: Route }[] = [
  { method: 'GET', pattern: /^\/v1\/health$/, route: async () => json(200, { status: 'ok' }) },
  {
    method: 'GET',
    pattern: /^\/v1\/summary$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      const query = parseSummaryQuery(event.queryStringParameters ?? {}, dayOf(deps.clock.now(), deps.settings.timezone));
      return json(200, (await getSummary(query, deps)).summary);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/reports\/monthly$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      const params = event.queryStringParameters ?? {};
      const format = params.format ?? 'json';
      if (!['json', 'csv', 'text'].includes(format)) throw new AppError('invalid_request', 'format must be json, csv or text');
      const report = await buildMonthlyReport(params.month, deps);
      if (format === 'json') return json(200, report);
      const body = format === 'csv' ? monthlyReportCsv(report) : monthlyReportText(report);
      return { statusCode: 200, headers: { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8' }, body };
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/jobs\/([^/]+)$/,
    route: async (event, deps, [job]) => {
      await authorize(event, deps, 'admin');
      const run = JOBS[job!];
      if (!run) throw new AppError('unknown_job', `no job named ${job}; jobs: ${Object.keys(JOBS).join(', ')}`);
      return json(200, await run(deps));
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/keys$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'admin');
      return json(201, await createApiKey(readJsonBody(event), deps.apiKeys, deps.clock));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/keys$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'admin');
      return json(200, { keys: await deps.apiKeys.list() });
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/keys\/([^/]+)$/,
    route: async (event, deps, [id]) => {
      await authorize(event, deps, 'admin');
      return json(200, await revokeApiKey(decodeURIComponent(id!), deps.apiKeys, deps.clock));
    },
  },
];

/** Every route but POST /v1/events: health, summaries, jobs and key management; 404/405 otherwise. */
export const handler = middy<HttpEvent, HttpResult>(async (event: HttpEvent): Promise<HttpResult> => {
  const path = event.rawPath;
  const matching = routes.filter((candidate) => candidate.pattern.test(path));
  if (matching.length === 0) throw new AppError('not_found', `no route ${method(event)} ${path}`);
  const found = matching.find((candidate) => candidate.method === method(event));
  if (!found) throw new AppError('method_not_allowed', `${path} does not accept ${method(event)}`);
  return found.route(event, runtime(), found.pattern.exec(path)!.slice(1));
}).use(httpErrors());
