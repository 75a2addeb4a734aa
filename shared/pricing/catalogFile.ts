import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { builtInCatalog, builtInCatalogFile, CatalogError, compileCatalog, mergeCatalogFiles, parseCatalogFile, type CatalogFile, type PriceCatalog } from './catalog.js';

/** Reads and validates a user price file (YAML or JSON). */
export function readCatalogFile(path: string): CatalogFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CatalogError(`cannot read price file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new CatalogError(`${path}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  return parseCatalogFile(data, path);
}


/** The built-in catalog with a user's override file (named in tokmon.yaml) applied, if any. */
export function loadCatalog(overridePath?: string): PriceCatalog {
  if (!overridePath) return builtInCatalog();
  return compileCatalog(mergeCatalogFiles(builtInCatalogFile(), readCatalogFile(overridePath)));
}
