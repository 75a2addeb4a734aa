import type { TokenMonitoringConfig } from '../shared/config/config.js';
import { loadConfig } from '../shared/config/loadConfigFile.js';
import { readCatalogFile } from '../shared/pricing/catalogFile.js';

export interface DeployConfig {
  /** JSON of the validated configuration and price overrides (TOKMON_BUNDLED_CONFIG). */
  bundled: string;
  /** The validated configuration itself: what the stacks read at synth time (alerts, reports, timezone). */
  tokenMonitoring: TokenMonitoringConfig;
}

/**
 * The configuration deployed with the functions: tokmon.yaml (TOKMON_CONFIG, else ./tokmon.yaml
 * when present, else defaults), validated at synth time, with its price overrides file inlined.
 * Functions receive it as one JSON string (TOKMON_BUNDLED_CONFIG, compiled into the bundle); the
 * stacks build subscriptions and schedules from the parsed object.
 */
export function deployConfig(path?: string): DeployConfig {
  const loaded = loadConfig(path);
  const overrides = loaded.priceOverridesPath ? readCatalogFile(loaded.priceOverridesPath) : undefined;
  return {
    bundled: JSON.stringify({ token_monitoring: loaded.tokenMonitoring, ...(overrides ? { price_overrides: overrides } : {}) }),
    tokenMonitoring: loaded.tokenMonitoring,
  };
}
