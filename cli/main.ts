import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../shared/config/config.js';
import { loadConfig } from '../shared/config/loadConfigFile.js';
import { CatalogError } from '../shared/pricing/catalog.js';
import { loadCatalog } from '../shared/pricing/catalogFile.js';
import { CostEngine } from '../shared/pricing/priceUsage.js';
import { runPriceCommand } from './price.js';
import { renderSummaryBlock } from '../shared/render/summaryBlock.js';
import { totalsFromJson } from '../shared/domain/usageTotals.js';
import type { Summary } from '../shared/usecases/getSummary.js';
import { apiTarget, callApi } from './apiClient.js';
import { runBackfill } from './backfill.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js';

export { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js';

function packageVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++, folder = dirname(folder)) {
    try {
      const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tokmon' && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
  }
  return 'unknown';
}

function openInput(file: string | undefined): Promise<Readable> {
  if (file === undefined || file === '-') return Promise.resolve(process.stdin);
  return new Promise((resolve, reject) => {
    const stream = createReadStream(file);
    stream.once('open', () => resolve(stream));
    stream.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CliError(error.code === 'ENOENT' ? `cannot read ${file}: no such file` : `cannot read ${file}: ${error.code ?? error.message}`)),
    );
  });
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('tokmon')
    .description('tokmon: monitor Anthropic (Claude) API token usage and cost')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('price')
    .summary('price usage events offline from a JSONL file or stdin')
    .description(
      'Prices usage offline with the price catalog (built in, plus price_overrides from tokmon.yaml).\n' +
        'Each line of FILE (or stdin when FILE is omitted or "-") is either a tokmon usage event\n' +
        '({"id","timestamp","model","usage",...}) or a raw Messages API response ({"id","model","usage",...});\n' +
        'a response without a timestamp is priced at the prices in force now. Lines are read one at a\n' +
        'time, so files of any size work. A bad line is reported on stderr as "line N: <reason>", the\n' +
        'other lines are still priced, and the exit code is then 1.',
    )
    .argument('[file]', 'JSONL file to read ("-" or omitted: stdin)')
    .option('--json', 'print {"events":[...],"totals":{...}} instead of the summary block')
    .option('-c, --config <path>', 'configuration file (default: $TOKMON_CONFIG, else ./tokmon.yaml if present)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  tokmon price usage.jsonl\n' +
        '  tokmon price --json usage.jsonl\n' +
        '  cat usage.jsonl | tokmon price --json\n\n' +
        'Exit codes: 0 all lines priced or reported unpriced, 1 some lines were bad, 2 bad usage.',
    )
    .action(async (file: string | undefined, options: { json?: boolean; config?: string }) => {
      const config = loadConfig(options.config);
      const engine = new CostEngine(loadCatalog(config.priceOverridesPath));
      const input = await openInput(file);
      const code = await runPriceCommand({
        input,
        stdout: process.stdout,
        stderr: process.stderr,
        json: options.json === true,
        engine,
        now: new Date(),
        trackCacheSavings: config.tokenMonitoring.track_cache_savings,
      });
      setExitCode(code);
    });

  program
    .command('serve')
    .summary('run the whole monitor locally (DynamoDB Local, HTTP API, scheduled jobs)')
    .description(
      'Starts DynamoDB Local (data under $TOKMON_DATA_DIR, default .tokmon), creates the tables, serves the\n' +
        'HTTP API on 127.0.0.1:$TOKMON_PORT (default 8787) through the same handlers as Lambda, and runs the\n' +
        'aggregator every minute. Prints the URL and the three API keys. Stops cleanly on Ctrl-C or SIGTERM.\n' +
        'Environment: TOKMON_PORT, TOKMON_HOST, TOKMON_DATA_DIR, TOKMON_CONFIG, TOKMON_INGEST_KEY,\n' +
        'TOKMON_READ_KEY, TOKMON_ADMIN_KEY, TOKMON_DYNAMODB_ENDPOINT (use that DynamoDB instead).',
    )
    .action(async () => {
      const { startLocalStack } = await import('./local/localStack.js');
      const stack = await startLocalStack();
      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (signal: string, code: number) => {
          if (stopping) return;
          stopping = true;
          console.log(`${signal}: stopping…`);
          void stack.stop().finally(() => {
            setExitCode(code);
            resolve();
          });
        };
        process.once('SIGINT', () => shutdown('SIGINT', EXIT_OK));
        process.once('SIGTERM', () => shutdown('SIGTERM', EXIT_OK));
        process.once('uncaughtException', (error) => {
          console.error(`tokmon: unexpected error: ${error.message}`);
          shutdown('crash', EXIT_FAILURE);
        });
      });
    });

  const connection = (command: Command) =>
    command
      .option('--endpoint <url>', 'tokmon API base URL (default: $TOKMON_ENDPOINT, else http://127.0.0.1:8787)')
      .option('--key <key>', 'an API key (default: $TOKMON_API_KEY)')
      .option('--json', 'print JSON');

  connection(program.command('summary'))
    .summary("the server's totals for a day or a month")
    .description('Prints the summary block (or, with --json, the JSON of GET /v1/summary) for today (UTC) unless --day or --month is given. Needs a read or admin key.')
    .option('--day <YYYY-MM-DD>', 'a day in the configured time zone')
    .option('--month <YYYY-MM>', 'a month')
    .option('--group-by <by>', 'model or tag:<name> (adds groups to --json output and a line per group to the text)')
    .action(async (options: { day?: string; month?: string; groupBy?: string; endpoint?: string; key?: string; json?: boolean }) => {
      if (options.day && options.month) throw new CliError('give --day or --month, not both', EXIT_USAGE);
      const period = options.month ? 'month' : 'day';
      const date = options.month ?? options.day ?? new Date().toISOString().slice(0, 10);
      const query = new URLSearchParams({ period, date, ...(options.groupBy ? { groupBy: options.groupBy } : {}) });
      const summary = await callApi<Summary>(apiTarget(options), 'GET', `/v1/summary?${query}`);
      if (options.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      console.log(`${period === 'day' ? 'Day' : 'Month'} ${date} (${summary.start} – ${summary.end})`);
      console.log(renderSummaryBlock(totalsFromJson(summary.totals, summary.breakdown), { limits: summary.limits, balance: summary.balance }));
      for (const group of summary.groups ?? []) console.log(`  ${String(group.key ?? '(none)').padEnd(32)} ${group.totals.requests} requests  $${group.totals.costUsd}`);
    });

  connection(program.command('report'))
    .summary('the monthly report (GET /v1/reports/monthly), or a daily one with --day')
    .option('--month <YYYY-MM>', 'the month')
    .option('--day <YYYY-MM-DD>', 'the day (GET /v1/reports/daily)')
    .option('--format <format>', 'text, csv or json', 'text')
    .addHelpText('after', '\nExamples:\n  tokmon report --month 2026-11\n  tokmon report --day 2026-12-03 --format csv')
    .action(async (options: { month?: string; day?: string; format: string; endpoint?: string; key?: string; json?: boolean }) => {
      const format = options.json ? 'json' : options.format;
      if (!['text', 'csv', 'json'].includes(format)) throw new CliError('--format must be text, csv or json', EXIT_USAGE);
      if ((options.month === undefined) === (options.day === undefined)) throw new CliError('give --month or --day (one of them)', EXIT_USAGE);
      const path = options.day !== undefined ? `/v1/reports/daily?${new URLSearchParams({ day: options.day, format })}` : `/v1/reports/monthly?${new URLSearchParams({ month: options.month!, format })}`;
      const report = await callApi<unknown>(apiTarget(options), 'GET', path, undefined, format !== 'json');
      console.log(typeof report === 'string' ? report.replace(/\n$/, '') : JSON.stringify(report));
    });

  connection(program.command('backfill'))
    .summary("load Anthropic's usage and cost since a day, in 31-day windows (resumable)")
    .requiredOption('--since <YYYY-MM-DD>', 'the first day to load (not before 2026-01-01, within the last 365 days)')
    .addHelpText('after', '\nNeeds an admin key and a server with the Admin-API poller configured (ANTHROPIC_ADMIN_KEY locally).\nRe-running after an interruption skips the windows already loaded.\n\nExample:\n  tokmon backfill --since 2026-10-01')
    .action(async (options: { since: string; endpoint?: string; key?: string; json?: boolean }) => {
      const summary = await runBackfill(apiTarget(options), options.since, Date.now(), (line) => process.stderr.write(`${line}\n`));
      console.log(options.json ? JSON.stringify(summary) : `backfilled ${summary.windows} window(s) since ${summary.since}: ${summary.polled} polled, ${summary.skipped} already done; ${summary.usageRows} usage and ${summary.costRows} cost rows`);
    });

  connection(program.command('run'))
    .summary('run a scheduled job now (POST /v1/jobs/<job>) and print its JSON result')
    .argument('<job>', 'aggregate (also checks budgets and sends alerts), daily-report, monthly-report, poll (Anthropic Admin API)')
    .option('--day <YYYY-MM-DD>', 'daily-report: the day to report (default yesterday)')
    .option('--month <YYYY-MM>', 'monthly-report: the month to report (default last month)')
    .action(async (job: string, options: { endpoint?: string; key?: string; day?: string; month?: string }) => {
      const query = new URLSearchParams({ ...(options.day ? { day: options.day } : {}), ...(options.month ? { month: options.month } : {}) }).toString();
      console.log(JSON.stringify(await callApi<unknown>(apiTarget(options), 'POST', `/v1/jobs/${encodeURIComponent(job)}${query ? `?${query}` : ''}`)));
    });

  const keys = program.command('keys').summary('create, list and revoke API keys (admin key required)');
  connection(keys.command('create'))
    .summary('create a key; it is printed once and only its hash is stored')
    .requiredOption('--role <role>', 'ingest, read or admin')
    .option('--name <name>', 'a label, e.g. the app or person it is for')
    .action(async (options: { role: string; name?: string; endpoint?: string; key?: string; json?: boolean }) => {
      if (!['ingest', 'read', 'admin'].includes(options.role)) throw new CliError('--role must be ingest, read or admin', EXIT_USAGE);
      const created = await callApi<{ id: string; key: string; role: string; name: string }>(apiTarget(options), 'POST', '/v1/keys', { role: options.role, name: options.name });
      console.log(options.json ? JSON.stringify(created) : `${created.id}  ${created.role}  ${created.key}\n(store this key now: it cannot be shown again)`);
    });
  connection(keys.command('list'))
    .summary('list keys (ids, roles, names, dates; never the keys)')
    .action(async (options: { endpoint?: string; key?: string; json?: boolean }) => {
      const { keys: list } = await callApi<{ keys: { id: string; role: string; name: string; createdAt: string; revokedAt?: string }[] }>(apiTarget(options), 'GET', '/v1/keys');
      if (options.json) console.log(JSON.stringify({ keys: list }));
      else if (list.length === 0) console.log('no keys created through the API yet');
      else for (const entry of list) console.log(`${entry.id}  ${entry.role.padEnd(6)}  ${entry.createdAt}  ${entry.revokedAt ? `revoked ${entry.revokedAt}` : 'active'}  ${entry.name}`);
    });
  connection(keys.command('revoke'))
    .summary('revoke a key by id')
    .argument('<id>', 'the key id, e.g. key_1a2b3c4d5e6f')
    .action(async (id: string, options: { endpoint?: string; key?: string; json?: boolean }) => {
      const revoked = await callApi<{ id: string; revokedAt: string }>(apiTarget(options), 'DELETE', `/v1/keys/${encodeURIComponent(id)}`);
      console.log(options.json ? JSON.stringify(revoked) : `revoked ${revoked.id} at ${revoked.revokedAt}`);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram((code) => (exitCode = code));
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version succeed; help shown because no command was given is bad usage.
      const asked = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
      return asked ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliError || error instanceof ConfigError || error instanceof CatalogError || (error as Error).name === 'JavaMissingError') {
      process.stderr.write(`tokmon: ${(error as Error).message}\n`);
      return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
    }
    process.stderr.write(`tokmon: unexpected error: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
