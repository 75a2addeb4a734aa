import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
  let text: string;
  try {
    text = readFileSync(chosen, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${chosen}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${chosen}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const tokenMonitoring = parseConfig(data, chosen);
  const overrides = tokenMonitoring.price_overrides;
  return {
    path: chosen,
    tokenMonitoring,
    priceOverridesPath: overrides === undefined ? undefined : resolve(dirname(chosen), overrides),
  };
}
