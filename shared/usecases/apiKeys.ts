import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.js';
import type { ApiKeyRecord, ApiKeyStore, Clock, Role } from './ports.js';

export const ROLES: readonly Role[] = ['ingest', 'read', 'admin'];

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(role: Role): string {
  return `tk_${role}_${randomBytes(24).toString('base64url')}`;
}

export interface StaticKey {
  role: Role;
  id: string;
  key: string;
}

export interface Principal {
  id: string;
  role: Role;
}

/** Whether a key of `role` may do what needs `required`: admin may do everything. */
export function roleAllows(role: Role, required: Role): boolean {
  return role === 'admin' || role === required;
}

/** How long a key lookup is reused, so each request does not read the keys table (revocation takes effect within it). */
const CACHE_MS = Number(process.env.TOKMON_KEY_CACHE_SECONDS ?? 30) * 1000;

/**
 * Resolves a presented key to its principal: first the static keys (local keys from the
 * environment, the bootstrap admin key from Secrets Manager), then the keys table by SHA-256
 * hash. Hashes are compared in constant time; keys themselves are never stored or logged.
 */
export class ApiKeyResolver {
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number }>();

  constructor(
    private readonly staticKeys: () => Promise<StaticKey[]>,
    private readonly store: ApiKeyStore | undefined,
    private readonly clock: Clock,
  ) {}

  async resolve(key: string): Promise<Principal | undefined> {
    const hash = hashApiKey(key);
    const presented = Buffer.from(hash, 'hex');
    let match: Principal | undefined;
    for (const candidate of await this.staticKeys()) {
      if (timingSafeEqual(presented, Buffer.from(hashApiKey(candidate.key), 'hex'))) match = { id: candidate.id, role: candidate.role };
    }
    if (match || !this.store) return match;
    const now = this.clock.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    // Looked up by its hash: no comparison here ever touches the key itself.
    const record = await this.store.findByHash(hash);
    const principal = record ? { id: record.id, role: record.role } : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_MS });
    return principal;
  }
}

export interface CreatedApiKey extends ApiKeyRecord {
  /** Shown once; only its hash is stored. */
  key: string;
}

export async function createApiKey(input: unknown, store: ApiKeyStore, clock: Clock): Promise<CreatedApiKey> {
  const body = (input ?? {}) as { role?: unknown; name?: unknown };
  if (typeof body.role !== 'string' || !ROLES.includes(body.role as Role)) {
    throw new AppError('invalid_request', 'role must be ingest, read or admin');
  }
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 128)) {
    throw new AppError('invalid_request', 'name must be a string of at most 128 characters');
  }
  const role = body.role as Role;
  const key = generateApiKey(role);
  const record: ApiKeyRecord = { id: `key_${randomBytes(6).toString('hex')}`, role, name: (body.name as string | undefined) ?? '', createdAt: new Date(clock.now()).toISOString() };
  await store.create(hashApiKey(key), record);
  return { ...record, key };
}

export async function revokeApiKey(id: string, store: ApiKeyStore, clock: Clock): Promise<{ id: string; revokedAt: string }> {
  const revokedAt = new Date(clock.now()).toISOString();
  if (!(await store.revoke(id, revokedAt))) throw new AppError('not_found', `no API key with id ${id}`);
  return { id, revokedAt };
}
