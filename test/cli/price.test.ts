import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { runCli } from '../support/runCli.js';
import { contractExample } from '../support/usageEvents.js';

const sonnetEvent = contractExample;
const haikuResponse = { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 8000 } };
const unknownModel = { id: 'msg_3', timestamp: '2026-12-04T10:15:30Z', model: 'claude-imaginary-9', usage: { input_tokens: 1, output_tokens: 1 } };

function jsonl(...values: unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join('\n') + '\n';
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tokmon-cli-')), name);
  writeFileSync(path, text);
  return path;
}

describe('tokmon price (real binary)', () => {
  test('prices a JSONL file to the contract JSON with exact decimal strings', async () => {
    // Prepare
    const file = tempFile('usage.jsonl', jsonl(sonnetEvent, haikuResponse));

    // Act
    const result = await runCli(['price', '--json', file]);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      events: [
        {
          id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
          model: 'claude-sonnet-4-5-20250929',
          priced: true,
          costUsd: '0.02152125',
          cacheSavingsUsd: '-0.00153825',
          breakdown: { inputUsd: '0.006285', outputUsd: '0.007545', cacheWrite5mUsd: '0.00769125', cacheWrite1hUsd: '0.000000', cacheReadUsd: '0.000000', webSearchUsd: '0.000000' },
        },
        {
          id: 'msg_2',
          model: 'claude-haiku-4-5',
          priced: true,
          costUsd: '0.001150',
          cacheSavingsUsd: '0.007200',
          breakdown: { inputUsd: '0.000100', outputUsd: '0.000250', cacheWrite5mUsd: '0.000000', cacheWrite1hUsd: '0.000000', cacheReadUsd: '0.000800', webSearchUsd: '0.000000' },
        },
      ],
      totals: {
        requests: 2,
        inputTokens: 2195,
        outputTokens: 553,
        cacheCreationInputTokens: 2051,
        cacheReadInputTokens: 8000,
        costUsd: '0.02267125',
        cacheSavingsUsd: '0.00566175',
        unpricedRequests: 0,
      },
    });
  });

  test('reads stdin when no file is given and prints the summary block', async () => {
    // Act
    const result = await runCli(['price'], { stdin: jsonl(sonnetEvent, haikuResponse) });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Token Usage Summary',
        '==================',
        'Input Tokens:    2,195 ($0.006)',
        'Output Tokens:   553 ($0.008)',
        'Cache Writes:    2,051 ($0.008)',
        'Cache Reads:     8,000 ($0.001)',
        'Cache Savings:   $0.006',
        'Total Cost:      $0.023',
        '',
      ].join('\n'),
    );
  });

  test('reports bad lines as "line N: reason", still prices the rest, and exits 1', async () => {
    // Prepare
    const input = jsonl(sonnetEvent, 'not json', { ...sonnetEvent, id: 'neg', usage: { input_tokens: -1, output_tokens: 1 } }, '', unknownModel, [1, 2]);

    // Act
    const result = await runCli(['price', '--json', '-'], { stdin: input });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'line 2: not valid JSON\nline 3: usage.input_tokens: expected a non-negative integer\nline 6: expected a JSON object\n3 of 6 lines could not be priced\n',
    );
    const output = JSON.parse(result.stdout);
    expect(output.events.map((event: { id: string }) => event.id)).toEqual(['msg_01XFDUDYJgAACzvnptvVoYEL', 'msg_3']);
    expect(output.events[1]).toEqual({
      id: 'msg_3',
      model: 'claude-imaginary-9',
      priced: false,
      reason: 'model "claude-imaginary-9" is not in the price catalog',
      costUsd: null,
      cacheSavingsUsd: null,
      breakdown: null,
    });
    expect(output.totals).toMatchObject({ requests: 2, unpricedRequests: 1, costUsd: '0.02152125' });
  });

  test('applies price_overrides named in the config file', async () => {
    // Prepare
    const folder = mkdtempSync(join(tmpdir(), 'tokmon-cli-'));
    writeFileSync(
      join(folder, 'prices.yaml'),
      'models:\n  - model: imaginary\n    ids: [claude-imaginary-9]\n    prices:\n      - {effective_from: null, effective_to: null, input: "1", output: "1", cache_write_5m: "1", cache_write_1h: "1", cache_read: "1", batch_multiplier: "0.5", source: {url: "contract:X", date: "2026-12"}}\n',
    );
    writeFileSync(join(folder, 'tokmon.yaml'), 'token_monitoring:\n  price_overrides: prices.yaml\n');

    // Act: tokmon.yaml is found in the working directory
    const result = await runCli(['price', '--json'], { stdin: jsonl(unknownModel), cwd: folder, env: { TOKMON_CONFIG: '' } });

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).totals).toMatchObject({ costUsd: '0.000002', unpricedRequests: 0 });
  });

  test('an invalid config is refused in one sentence with exit 1', async () => {
    const config = tempFile('tokmon.yaml', 'token_monitoring:\n  daily_limit: lots\n');
    const result = await runCli(['price', '--config', config], { stdin: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`tokmon: ${config}: token_monitoring.daily_limit: expected a whole number of tokens\n`);
  });

  test('prices the README example file to the figures the README shows', async () => {
    // Act
    const result = await runCli(['price', '--json', 'examples/usage.jsonl'], { cwd: new URL('../..', import.meta.url).pathname });

    // Assess
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.events.map((event: { costUsd: string }) => event.costUsd)).toEqual(['0.02152125', '0.0071253', '0.030250', '0.020800']);
    expect(output.totals).toEqual({
      requests: 4,
      inputTokens: 7565,
      outputTokens: 2203,
      cacheCreationInputTokens: 2051,
      cacheReadInputTokens: 2051,
      costUsd: '0.07969655',
      cacheSavingsUsd: '0.00399945',
      unpricedRequests: 0,
    });
  });

  test.each([
    [['price', '--help'], 0, /Each line of FILE/],
    [['--help'], 0, /price \[options\] \[file\]/],
    [['price', '--bogus'], 2, /unknown option '--bogus'/],
    [[], 2, /Usage: tokmon/],
    [['price', '/nonexistent/usage.jsonl'], 1, /tokmon: cannot read \/nonexistent\/usage.jsonl: no such file/],
  ])('tokmon %j exits %i', async (args, code, text) => {
    const result = await runCli(args);
    expect(result.code).toBe(code);
    expect(result.stdout + result.stderr).toMatch(text);
  });
});
