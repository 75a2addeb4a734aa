import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AnthropicReportSource } from '../../usecases/ports.js';
import { AdminApiSource } from './adminApiSource.js';

const CACHE_MS = 5 * 60_000;

/**
 * The Admin-API source, or undefined without an admin key: ANTHROPIC_ADMIN_KEY locally; on AWS
 * the secret named by TOKMON_ANTHROPIC_ADMIN_KEY_SECRET_ARN (created blank — one space — by CDK, read on first
 * use and cached for 5 minutes, so a key put there later is picked up without a deploy).
 * ANTHROPIC_BASE_URL, when set, is where requests go. The key is never logged.
 */
export function anthropicSourceFromEnv(env: NodeJS.ProcessEnv = process.env): (() => Promise<AnthropicReportSource | undefined>) | undefined {
  const baseURL = env.ANTHROPIC_BASE_URL || undefined;
  if (env.ANTHROPIC_ADMIN_KEY) {
    const source = new AdminApiSource(env.ANTHROPIC_ADMIN_KEY, { baseURL });
    return async () => source;
  }
  const secretArn = env.TOKMON_ANTHROPIC_ADMIN_KEY_SECRET_ARN;
  if (!secretArn) return undefined;
  const secrets = new SecretsManagerClient({});
  let cached: { source: AnthropicReportSource | undefined; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.source;
    // A secret that cannot be read (permissions, throttling) is a failure that must show, not "no key".
    const value = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString?.trim() ?? '';
    cached = { source: value ? new AdminApiSource(value, { baseURL }) : undefined, until: Date.now() + CACHE_MS };
    return cached.source;
  };
}
