import { readYamlFile } from '../config/readYamlFile.js';
import { builtInCatalog, builtInCatalogFile, CatalogError, compileCatalog, mergeCatalogFiles, parseCatalogFile, type CatalogFile, type PriceCatalog } from './catalog.js';

/** Reads and validates a user price file (YAML or JSON). */
export function readCatalogFile(path: string): CatalogFile {
  return parseCatalogFile(readYamlFile(path, 'price file', (message) => new CatalogError(message)), path);
}

/** The built-in catalog with a user's override file (named in tokmon.yaml) applied, if any. */
export function loadCatalog(overridePath?: string): PriceCatalog {
  if (!overridePath) return builtInCatalog();
  return compileCatalog(mergeCatalogFiles(builtInCatalogFile(), readCatalogFile(overridePath)));
}
