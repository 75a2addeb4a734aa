import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** Reads a YAML (or JSON) file; `fail` turns a read or parse problem into the caller's error type. */
export function readYamlFile(path: string, what: string, fail: (message: string) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw fail(`${path}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
}
