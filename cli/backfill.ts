import { callApi, type ApiTarget } from './apiClient.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';

const WAIT_MS = 5_000;
const MAX_WAITS = 72;

const WINDOW_DAYS = 31;
const DAY_MS = 86_400_000;
/** The analytics API serves nothing before this day, nor more than 365 days back. */
const FIRST_DAY = '2026-01-01';

interface PollResult {
  polled: boolean;
  queued?: boolean;
  reason?: string;
  from: string;
  to: string;
  usageRows: number;
  costRows: number;
}

export interface BackfillSummary {
  since: string;
  windows: number;
  polled: number;
  skipped: number;
  usageRows: number;
  costRows: number;
}

/** The 31-day windows from `since` (UTC midnight) to `until`; fixed boundaries, so a re-run finds the finished ones. */
export function backfillWindows(since: string, until: number): { from: string; to: string }[] {
  const windows: { from: string; to: string }[] = [];
  for (let start = Date.parse(`${since}T00:00:00Z`); start < until; start += WINDOW_DAYS * DAY_MS) {
    windows.push({ from: new Date(start).toISOString(), to: new Date(Math.min(start + WINDOW_DAYS * DAY_MS, until)).toISOString() });
  }
  return windows;
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/**
 * `tokmon backfill --since D`: polls Anthropic's usage and cost window by window (31 days each,
 * the API's limit) through `POST /v1/jobs/poll`, with a progress bar on stderr. Resumable: the
 * server remembers finished windows, so a re-run after an interruption skips them.
 */
export async function runBackfill(target: ApiTarget, since: string, now: number, progress: (line: string) => void): Promise<BackfillSummary> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(since) || Number.isNaN(Date.parse(since))) throw new CliError('--since must be a day, YYYY-MM-DD', EXIT_USAGE);
  if (since < FIRST_DAY) throw new CliError(`Anthropic's analytics start on ${FIRST_DAY}; use --since ${FIRST_DAY} or later`, EXIT_USAGE);
  if (Date.parse(since) < now - 365 * DAY_MS) throw new CliError('Anthropic keeps analytics for 365 days; use a --since within the last year', EXIT_USAGE);
  // The hour in progress is the regular poller's; the last window ends at the current hour.
  const until = Math.floor(now / 3_600_000) * 3_600_000;
  const windows = backfillWindows(since, until);
  const summary: BackfillSummary = { since, windows: windows.length, polled: 0, skipped: 0, usageRows: 0, costRows: 0 };
  for (const [index, window] of windows.entries()) {
    const query = new URLSearchParams({ from: window.from, to: window.to, resume: 'true' });
    let result = await callApi<PollResult>(target, 'POST', `/v1/jobs/poll?${query}`);
    let queued = false;
    // On AWS a window is queued for the poller function; locally a scheduled poll may hold the lease for a moment.
    for (let attempt = 0; !result.polled && (result.queued || result.reason === 'another poll is running'); attempt++) {
      if (attempt >= MAX_WAITS) throw new CliError(`window ${window.from.slice(0, 10)} → ${window.to.slice(0, 10)} did not finish within ${(MAX_WAITS * WAIT_MS) / 60_000} minutes; run the same backfill again to continue`, EXIT_FAILURE);
      queued ||= result.queued === true;
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
      result = await callApi<PollResult>(target, 'POST', `/v1/jobs/poll?${query}`);
    }
    if (result.polled || queued) {
      summary.polled += 1;
      summary.usageRows += result.usageRows;
      summary.costRows += result.costRows;
    } else summary.skipped += 1;
    progress(`backfill ${bar(index + 1, windows.length)}  ${window.from.slice(0, 10)} → ${window.to.slice(0, 10)}  ${result.polled ? `${result.usageRows} usage, ${result.costRows} cost rows` : queued ? 'loaded by the poller function' : `skipped (${result.reason})`}`);
  }
  return summary;
}
