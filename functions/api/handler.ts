import middy from '@middy/core';
import { json, method, readJsonBody, type HttpEvent, type HttpResult } from '../../shared/http/apiEvent.js';
import { authorize } from '../../shared/http/auth.js';
import { httpErrors } from '../../shared/http/errors.js';
import { adminKeyFromSecret } from '../../shared/runtime/adminKeySecret.js';
import { configureRuntime, runtime, type Runtime } from '../../shared/runtime/runtime.js';
import { createApiKey, revokeApiKey } from '../../shared/usecases/apiKeys.js';
import { AppError } from '../../shared/usecases/errors.js';
import { getSummary, parseSummaryQuery } from '../../shared/usecases/getSummary.js';
import { dayOf } from '../../shared/domain/time.js';
import { buildReport, buildMonthlyReport, reportCsv, reportText, type PeriodReport } from '../../shared/usecases/reports.js';
import { isValidDay } from '../../shared/domain/time.js';
import { isJobName, JOBS } from '../../shared/runtime/jobs.js';
import { snsPublisherFromEnv } from '../../shared/adapters/sns/snsPublisher.js';
import { pollDispatcherFromEnv } from '../../shared/adapters/lambda/pollDispatcher.js';
import { getReconciliation, parseReconciliationQuery } from '../../shared/usecases/reconciliation.js';
import { getBalance } from '../../shared/usecases/balance.js';

const secretArn = process.env.TOKMON_ADMIN_KEY_SECRET_ARN;
configureRuntime({ ...(secretArn ? { extraKeys: adminKeyFromSecret(secretArn) } : {}), publisher: snsPublisherFromEnv(), pollDispatcher: pollDispatcherFromEnv() });

type Route = (event: HttpEvent, deps: Runtime, params: string[]) => Promise<HttpResult>;

function reportResponse(report: PeriodReport, format: string): HttpResult {
  if (format === 'json') return json(200, report);
  const body = format === 'csv' ? reportCsv(report) : reportText(report);
  return { statusCode: 200, headers: { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8' }, body };
}

function reportFormat(params: Record<string, string | undefined>): string {
  const format = params.format ?? 'json';
  if (!['json', 'csv', 'text'].includes(format)) throw new AppError('invalid_request', 'format must be json, csv or text');
  return format;
}

const routes: { method: string; pattern: RegExp; route: Route }[] = [
  { method: 'GET', pattern: /^\/v1\/health$/, route: async () => json(200, { status: 'ok' }) },
  {
    method: 'GET',
    pattern: /^\/v1\/summary$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      const query = parseSummaryQuery(event.queryStringParameters ?? {}, dayOf(deps.clock.now(), deps.settings.timezone));
      const { summary } = await getSummary(query, deps);
      if (!deps.config.balance) return json(200, summary);
      // The Balance line of the summary block; a summary never fails for want of it.
      const balance = await getBalance(deps).catch(() => undefined);
      return json(200, balance?.remainingUsd ? { ...summary, balance: { remainingUsd: balance.remainingUsd, daysUntilDepleted: balance.daysUntilDepleted, burnPerDayUsd: balance.burnPerDayUsd, dataAsOf: balance.dataAsOf } } : summary);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/reports\/monthly$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      const params = event.queryStringParameters ?? {};
      const format = reportFormat(params);
      return reportResponse(await buildMonthlyReport(params.month, deps), format);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/reports\/daily$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      const params = event.queryStringParameters ?? {};
      const format = reportFormat(params);
      if (!params.day || !isValidDay(params.day)) throw new AppError('invalid_request', 'day is required as YYYY-MM-DD');
      return reportResponse(await buildReport('daily', params.day, deps), format);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/reconciliation$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      const range = parseReconciliationQuery(event.queryStringParameters ?? {}, dayOf(deps.clock.now(), deps.settings.timezone));
      return json(200, await getReconciliation(range, deps));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/balance$/,
    route: async (event, deps) => {
      await authorize(event, deps, 'read');
      return json(200, await getBalance(deps));
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/jobs\/([^/]+)$/,
    route: async (event, deps, [job]) => {
      await authorize(event, deps, 'admin');
      if (!isJobName(job!)) throw new AppError('unknown_job', `no job named ${job}; jobs: ${Object.keys(JOBS).join(', ')}`);
      return json(200, await JOBS[job](deps, event.queryStringParameters ?? {}));
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
