import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { StaticKey } from '../usecases/apiKeys.js';

const CACHE_MS = 5 * 60_000;

/**
 * The bootstrap admin key kept in Secrets Manager (created by CDK), read on first use and cached
 * for 5 minutes so a rotated value takes effect without a deploy. Only the api function uses it.
 */
export function adminKeyFromSecret(secretArn: string): () => Promise<StaticKey[]> {
  const secrets = new SecretsManagerClient({});
  let cached: { keys: StaticKey[]; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.keys;
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const key = secret.SecretString ?? '';
    // A short value would be a weak admin key: ignore it rather than accept it.
    const keys: StaticKey[] = key.length >= 20 ? [{ role: 'admin', id: 'bootstrap-admin', key }] : [];
    cached = { keys, until: Date.now() + CACHE_MS };
    return keys;
  };
}
