import { roleAllows, type Principal } from '../usecases/apiKeys.js';
import { AppError } from '../usecases/errors.js';
import type { Role } from '../usecases/ports.js';
import type { Runtime } from '../runtime/runtime.js';
import { bearerToken, type HttpEvent } from './apiEvent.js';

/** The caller's principal, or 401 (no or unknown key) / 403 (a key of another role). */
export async function authorize(event: HttpEvent, runtime: Runtime, required: Role): Promise<Principal> {
  const token = bearerToken(event);
  if (!token) throw new AppError('unauthorized', 'send an API key as "Authorization: Bearer <key>"');
  const principal = await runtime.keys.resolve(token);
  if (!principal) throw new AppError('unauthorized', 'unknown or revoked API key');
  if (!roleAllows(principal.role, required)) throw new AppError('forbidden', `a key with the ${principal.role} role cannot do this; it needs the ${required} role`);
  return principal;
}
