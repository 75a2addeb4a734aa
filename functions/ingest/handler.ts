import middy from '@middy/core';
import { json, readJsonBody, type HttpEvent, type HttpResult } from '../../shared/http/apiEvent.js';
import { authorize } from '../../shared/http/auth.js';
import { httpErrors } from '../../shared/http/errors.js';
import { eventsFromBody } from '../../shared/http/eventsBody.js';
import { runtime } from '../../shared/runtime/runtime.js';
import { recordEvents } from '../../shared/usecases/recordEvents.js';

/** POST /v1/events: authenticate (ingest role), parse, record, answer accepted/duplicates/rejected. */
export const handler = middy<HttpEvent, HttpResult>(async (event: HttpEvent): Promise<HttpResult> => {
  const deps = runtime();
  await authorize(event, deps, 'ingest');
  const inputs = eventsFromBody(readJsonBody(event));
  return json(200, await recordEvents(inputs, deps));
}).use(httpErrors());
