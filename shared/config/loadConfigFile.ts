import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readYamlFile } from './readYamlFile.js';
import { ConfigError, parseConfig, type TokenMonitoringConfig } from './config.js';

export interface LoadedConfig {
  /** The file it came from, or undefined for the defaults. */
  path: string | undefined;
  tokenMonitoring: TokenMonitoringConfig;
  /** `price_overrides` resolved against the config file's folder. */
  priceOverridesPath: string | undefined;
}

/** Reads the config named by `path`, else TOKMON_CONFIG, else ./tokmon.yaml when it exists, else defaults. */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const chosen = path || env.TOKMON_CONFIG || (existsSync('tokmon.yaml') ? 'tokmon.yaml' : undefined);
  if (!chosen) return { path: undefined, tokenMonitoring: parseConfig({}, 'defaults'), priceOverridesPath: undefined };
  const data = readYamlFile(chosen, 'config file', (message) => new ConfigError(message));
  const tokenMonitoring = parseConfig(data, chosen);
  const overrides = tokenMonitoring.price_overrides;
  return {
    path: chosen,
    tokenMonitoring,
    priceOverridesPath: overrides === undefined ? undefined : resolve(dirname(chosen), overrides),
  };
}
