import { loadConfig } from '../shared/config/loadConfigFile.js';
import { readCatalogFile } from '../shared/pricing/catalogFile.js';

/**
 * The configuration deployed with the functions: tokmon.yaml (TOKMON_CONFIG, else ./tokmon.yaml
 * when present, else defaults), validated at synth time, with its price overrides file inlined.
 * Functions receive it as one JSON string (TOKMON_BUNDLED_CONFIG, compiled into the bundle).
 */
export function bundledConfig(path?: string): string {
  const loaded = loadConfig(path);
  const overrides = loaded.priceOverridesPath ? readCatalogFile(loaded.priceOverridesPath) : undefined;
  return JSON.stringify({ token_monitoring: loaded.tokenMonitoring, ...(overrides ? { price_overrides: overrides } : {}) });
}
