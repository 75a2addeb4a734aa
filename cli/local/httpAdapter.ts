import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../shared/http/apiEvent.js';
import { json } from '../../shared/http/apiEvent.js';

/** API Gateway's own payload limit; bodies above it never reach a handler there either. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

export type LambdaHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The API Gateway HTTP API (payload v2) event for a Node request, as Lambda would receive it. */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer): HttpEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  const method = (request.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

function lambdaContext(functionName: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 30_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(response: ServerResponse, result: HttpResult): void {
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  response.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string> | undefined) });
  response.end(body);
}

/** A Node request listener that serves requests through Lambda handlers, exactly as API Gateway would call them. */
export function lambdaRequestListener(handlerFor: (method: string, path: string) => { name: string; handler: LambdaHandler }) {
  return (request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const body = await readBody(request);
      if (body === undefined) {
        send(response, json(413, { error: { code: 'payload_too_large', message: 'the body is larger than 10 MiB' } }));
        return;
      }
      const event = toApiGatewayEvent(request, body);
      const { name, handler } = handlerFor(event.requestContext.http.method, event.rawPath);
      send(response, await handler(event, lambdaContext(name)));
    })().catch(() => {
      if (!response.headersSent) send(response, json(500, { error: { code: 'internal', message: 'internal error; the request may be retried' } }));
      else response.destroy();
    });
  };
}
