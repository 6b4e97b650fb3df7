/**
 * CLI glue for `perpcarry data fetch`: turns parsed options into {@link runFetch} options, draws a
 * progress bar on a TTY, prints a summary (or JSON with `--json`).
 */
import { UserError } from '../../core/errors.js';
import { isoUtc, parseInstant } from '../../core/time.js';
import { defaultDataDir } from '../catalog.js';
import { parseKinds, runFetch, type FetchProgress, type FetchSummary } from './fetch.js';

/** Options as yargs hands them over (see `src/cli/commands/data.ts`). */
export interface FetchCommandArgs {
  dataDir?: string;
  exchange: string;
  symbol: string;
  kinds: string;
  timeframe: string;
  since: string;
  until?: string;
  withSpot?: boolean;
  json?: boolean;
  /** Testing: base URL of an exchange emulator (also `$PERPCARRY_FETCH_API_BASE`). */
  apiBase?: string;
  pageLimit?: number;
  flushRows?: number;
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** Testing: pretend the current time is this instant (ISO or epoch ms). */
  now?: string;
  /** ccxt rateLimit override, ms per unit of endpoint weight. */
  rateLimitMs?: number;
}

function instant(text: string, option: string): number {
  try {
    return parseInstant(text, option);
  } catch (e) {
    throw new UserError(`${option}: ${(e as Error).message}`);
  }
}

/** Draws `label [#####.....] 45%  1234 rows  2025-01-01 → 2025-03-02` on one TTY line. */
export function progressPrinter(stream: { write(s: string): unknown }): (p: FetchProgress) => void {
  let lastLabel = '';
  let lastDraw = 0;
  return (p) => {
    const now = Date.now();
    if (p.label === lastLabel && p.fraction < 1 && now - lastDraw < 100) return;
    if (lastLabel && p.label !== lastLabel) stream.write('\n');
    lastLabel = p.label;
    lastDraw = now;
    const width = 24;
    const filled = Math.round(p.fraction * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const range = `${isoUtc(p.fromMs).slice(0, 16)} → ${isoUtc(p.doneUntilMs).slice(0, 16)}`;
    stream.write(`\r${p.label} [${bar}] ${(p.fraction * 100).toFixed(0).padStart(3)}%  ${p.rows} rows  ${range}\x1b[K`);
    if (p.fraction >= 1) {
      stream.write('\n');
      lastLabel = '';
    }
  };
}

function printSummary(s: FetchSummary): void {
  const lines: string[] = [`${s.exchange} ${s.symbol} (ccxt ${s.ccxtVersion}), ${s.sinceIso} → ${s.untilIso}, ${s.retries} retries`];
  for (const x of s.series) {
    const name = `${x.symbol} ${x.kind}${x.timeframe ? ' ' + x.timeframe : ''}`;
    if (x.skipped) {
      lines.push(`  ${name}: skipped (${x.skipped})`);
      continue;
    }
    const span = x.rowsInFile > 0 ? `${x.firstIso} → ${x.lastIso}` : 'empty';
    lines.push(`  ${name}: ${x.fetchedRows} rows fetched in ${x.requests} request${x.requests === 1 ? '' : 's'}, ${x.added} new, ${x.replaced} changed; file ${x.path} has ${x.rowsInFile} rows (${span})`);
    for (const [iso, from, to] of x.intervalChanges ?? []) lines.push(`    funding interval ${from}h → ${to}h at ${iso}`);
    if (x.validation) {
      const v = x.validation;
      const notes = v.issues.filter((i) => i.severity !== 'info').map((i) => `${i.severity} ${i.code} ×${i.count}`);
      lines.push(`    validate: ${v.ok ? 'ok' : `${v.errors} ERRORS`}${notes.length ? ` (${notes.join(', ')})` : ''}${v.ok ? '' : ' — see `perpcarry data validate`'}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

/** Handler of `perpcarry data fetch`. */
export async function fetchCommand(args: FetchCommandArgs): Promise<void> {
  const sinceMs = instant(args.since, '--since');
  const untilMs = args.until !== undefined ? instant(args.until, '--until') : undefined;
  const apiBase = args.apiBase ?? process.env['PERPCARRY_FETCH_API_BASE'];
  const retry: Record<string, number> = {};
  if (args.retries !== undefined) retry['retries'] = args.retries;
  if (args.backoffMs !== undefined) retry['backoffMs'] = args.backoffMs;
  if (args.timeoutMs !== undefined) retry['timeoutMs'] = args.timeoutMs;
  const tty = !args.json && process.stderr.isTTY;
  let summary: FetchSummary;
  try {
    summary = await runFetch({
      dataDir: args.dataDir ?? defaultDataDir(),
      exchange: args.exchange,
      symbol: args.symbol,
      kinds: parseKinds(args.kinds),
      timeframe: args.timeframe,
      sinceMs,
      untilMs,
      withSpot: args.withSpot,
      apiBase: apiBase || undefined,
      pageLimit: args.pageLimit,
      flushRows: args.flushRows,
      retry,
      nowMs: args.now !== undefined ? instant(args.now, '--now') : undefined,
      rateLimitMs: args.rateLimitMs,
      onProgress: tty ? progressPrinter(process.stderr) : undefined,
      onRetry: (msg) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}perpcarry: ${msg}\n`),
    });
  } catch (e) {
    if (e instanceof UserError || e instanceof TypeError || e instanceof RangeError || !(e instanceof Error)) throw e;
    // Option and ccxt errors (bad timeframe, symbol, exchange) arrive as plain Errors: show them plainly.
    throw new UserError(`data fetch: ${e.message}`);
  }
  if (args.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else printSummary(summary);
}
