import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { formatUsd } from '../../../shared/domain/money.js';
import {
  builtInCatalogFile,
  compileCatalog,
  mergeCatalogFiles,
  parseCatalogFile,
  type CatalogFile,
} from '../../../shared/pricing/catalog.js';
import { loadCatalog } from '../../../shared/pricing/catalogFile.js';
import { CostEngine } from '../../../shared/pricing/priceUsage.js';
import { usageEvent } from '../../support/usageEvents.js';

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tokmon-catalog-')), name);
  writeFileSync(path, text);
  return path;
}

const row = {
  effective_from: null,
  effective_to: null,
  input: '1',
  output: '2',
  cache_write_5m: '1.25',
  cache_write_1h: '2',
  cache_read: '0.1',
  batch_multiplier: '0.5',
  source: { url: 'https://example.com/contract', date: '2026-11' },
};

describe('built-in price catalog', () => {
  // Reference §5.2: every model with a published price, by API id.
  test.each([
    'claude-fable-5-1', 'claude-mythos-5-1', 'claude-fable-5', 'claude-mythos-5', 'claude-opus-5-5', 'claude-opus-5',
    'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5', 'claude-opus-4-5-20251101',
    'claude-opus-4-1-20250805', 'claude-opus-4-0', 'claude-opus-4-20250514', 'claude-sonnet-5-5', 'claude-sonnet-5',
    'claude-sonnet-4-6', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-0', 'claude-sonnet-4-20250514',
    'claude-3-7-sonnet-20250219', 'claude-haiku-5-5', 'claude-haiku-4-5', 'claude-haiku-4-5-20251001',
    'claude-3-5-haiku-20241022', 'claude-3-opus-20240229', 'claude-3-haiku-20240307', 'claude-fable-5-2', 'claude-mythos-5-2',
  ])('prices %s', (id) => {
    expect(loadCatalog().findModel(id)).toBeDefined();
  });

  test('every price row names its source and date, and unverified prices say so in notes', () => {
    for (const model of builtInCatalogFile().models ?? []) {
      for (const price of model.prices) {
        expect(price.source.url).toMatch(/^https:\/\//);
        expect(price.source.date).toMatch(/^\d{4}-\d{2}/);
        if (price.verified === false) expect(price.notes).toMatch(/[Uu]nverified/);
      }
    }
  });
});

describe('catalog validation', () => {
  test.each([
    ['a negative rate', { input: '-1' }, 'models.0.prices.0.input: expected a non-negative decimal string such as "3.75"'],
    ['a rate as a number', { input: 3 }, 'models.0.prices.0.input: expected a decimal string such as "3.75"'],
    ['a rate with 7 fractional digits', { cache_read: '0.0000001' }, 'models.0.prices.0.cache_read: at most 6 fractional digits'],
    ['a multiplier with 4 fractional digits', { batch_multiplier: '0.4999' }, 'models.0.prices.0.batch_multiplier: at most 3 fractional digits'],
    ['a missing source', { source: undefined }, 'models.0.prices.0.source'],
    ['a misspelled key', { ouput: '2' }, 'models.0.prices.0: Unrecognized key: "ouput"'],
  ])('refuses %s, naming the key', (_name, change, message) => {
    // Prepare
    const file = { models: [{ model: 'm', ids: ['m'], prices: [{ ...row, ...change }] }] };

    // Act / Assess
    expect(() => parseCatalogFile(file, 'prices.yaml')).toThrow(`prices.yaml: ${message}`);
  });

  test('refuses overlapping price rows of one model', () => {
    const file = {
      models: [{ model: 'm', ids: ['m'], prices: [{ ...row, effective_to: '2026-06-01' }, { ...row, effective_from: '2026-05-01' }] }],
    };
    expect(() => parseCatalogFile(file, 'prices.yaml')).toThrow('prices.yaml: m: price rows overlap in time');
  });

  test('refuses an id claimed by two models', () => {
    const file = { models: [{ model: 'a', ids: ['x'], prices: [row] }, { model: 'b', ids: ['y'], aliases: ['x'], prices: [row] }] };
    expect(() => parseCatalogFile(file, 'prices.yaml')).toThrow('model id "x" is listed under both a and b');
  });
});

describe('price overrides', () => {
  test('an override file adds a model the built-in catalog does not know', () => {
    // Prepare
    const path = tempFile('prices.yaml', `models:\n  - model: acme-model\n    ids: [acme-model-1]\n    prices:\n      - effective_from: null\n        effective_to: null\n        input: "1"\n        output: "2"\n        cache_write_5m: "1.25"\n        cache_write_1h: "2"\n        cache_read: "0.1"\n        batch_multiplier: "0.5"\n        source: { url: "contract:ACME-7", date: "2026-11" }\n`);
    const engine = new CostEngine(loadCatalog(path));

    // Act
    const result = engine.priceUsage(usageEvent('acme-model-1', { input_tokens: 1_000_000, output_tokens: 1_000_000 }));

    // Assess
    expect(formatUsd(result.totalUsd)).toBe('3.000000');
    expect(engine.priceUsage(usageEvent('claude-haiku-4-5', { input_tokens: 1_000_000 })).priced).toBe(true);
  });

  test('an override replaces every price row of the built-in model sharing an id, dated rows included', () => {
    // Prepare: a negotiated Sonnet 4.5 price that changes on 2026-06-01
    const override: CatalogFile = parseCatalogFile(
      {
        models: [
          {
            model: 'sonnet-negotiated',
            ids: ['claude-sonnet-4-5'],
            prices: [
              { ...row, input: '2', effective_to: '2026-06-01' },
              { ...row, input: '2.5', effective_from: '2026-06-01' },
            ],
          },
        ],
      },
      'override',
    );
    const engine = new CostEngine(compileCatalog(mergeCatalogFiles(builtInCatalogFile(), override)));

    // Act
    const before = engine.priceUsage(usageEvent('claude-sonnet-4-5', { input_tokens: 1_000_000 }, '2026-05-31T23:59:59Z'));
    const after = engine.priceUsage(usageEvent('claude-sonnet-4-5', { input_tokens: 1_000_000 }, '2026-06-01T00:00:00Z'));
    const datedId = engine.priceUsage(usageEvent('claude-sonnet-4-5-20250929', { input_tokens: 1 }));

    // Assess: each row applies by date, no long-context band survives, and the dated id follows its undated model
    expect(formatUsd(before.totalUsd)).toBe('2.000000');
    expect(formatUsd(after.totalUsd)).toBe('2.500000');
    expect(formatUsd(datedId.totalUsd)).toBe('0.0000025');
  });

  test('an invalid override file is refused like the built-in catalog, naming the file and key', () => {
    const path = tempFile('bad.yaml', 'models:\n  - model: x\n    ids: [x]\n    prices:\n      - input: "abc"\n');
    expect(() => loadCatalog(path)).toThrow(`${path}: models.0.prices.0`);
  });

  test('a missing override file is a clear error', () => {
    expect(() => loadCatalog('/nonexistent/prices.yaml')).toThrow('cannot read price file /nonexistent/prices.yaml: ENOENT');
  });
});
