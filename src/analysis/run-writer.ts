/**
 * Write a backtest's run directory (docs/RUN_FORMAT.md; files and columns from run-format.ts):
 * run.json, summary.json, equity.arrow (every sample, full precision), trades.csv, funding.csv,
 * positions.csv (round trips), position-changes.csv, liquidations.csv, ledger.csv, adl.csv when ADL happened; equity.csv only when
 * asked (`csv: true`, `--csv`). Everything is
 * written into a temp directory next to the target and renamed into place at the end, so a failed
 * or interrupted run leaves no half report.
 *
 * Speed: the equity columns are computed and written in batches of {@link EQUITY_BATCH_ROWS} rows
 * (one pass, one `writeSync` per column buffer, no copy) into buffers reused from batch to batch;
 * the metrics are computed from the batches as they pass (metrics-stream.ts), so a run holds no
 * equity column in full, whatever its length. The disk starts writing equity.arrow back after
 * each batch (`startWriteback`), so the fsync at the commit finds little left to do.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../core/canonical-json.js';
import { UserError } from '../core/errors.js';
import { isoUtc } from '../core/time.js';
import type { FundingGapIssue } from '../data/funding-gaps.js';
import { Float64IpcFileWriter } from '../data/ipc-writer.js';
import type { BacktestResult } from '../engine/backtest.js';
import type { PnlBreakdown } from '../portfolio/records.js';
import { claimRunDir } from './run-claim.js';
import { startWriteback } from '../core/fs.js';
import { CSV_FILES, EQUITY_ARROW_FORMAT, RUN_FILES, RUN_FORMAT_VERSION, csvColumnNames, type CsvName, type CsvRow } from './run-format.js';
import { ROUND_TRIP_PARTS, roundTripsOf, roundTripStats, roundTripTotals, sumParts, type RoundTrips, type RoundTripStats } from './round-trips.js';
import { annualisationFlags, computeMetrics, nonFiniteMetricProblem, type Metrics, type MetricsInput } from './metrics.js';
import { EquityMetricsStream, type StreamedMetricsInput } from './metrics-stream.js';

/** summary.json. */
export interface RunSummary {
  formatVersion: typeof RUN_FORMAT_VERSION;
  runId: string;
  strategy: string;
  venues: string[];
  symbol: string;
  fromIso: string;
  toIso: string;
  metrics: Metrics;
  /** Per metric, why it should be read with care (e.g. Sharpe "too short to annualise"); empty when none. */
  metricFlags: Partial<Record<keyof Metrics, string>>;
  pnl: PnlBreakdown;
  /** Data problems the run went ahead with: funding settlements missing inside the window. */
  dataIssues: FundingGapIssue[];
  /**
   * Orders that did not go as placed: refused (by reason), limit orders expired, hedges refused
   * whole by the atomic check, hedges broken (a leg refused after the other filled) and how many of
   * those were unwound; maker fills.
   */
  orders: {
    rejected: number;
    rejectedByReason: Record<string, number>;
    expired: number;
    hedgesRefused: number;
    hedgesBroken: number;
    hedgesUnwound: number;
    makerFills: number;
  };
  /**
   * How the book was left at the window end: `close` (default) — open positions closed at their
   * last close with slippage and taker fee (trades tagged `close-at-end`; `closed` positions, their
   * `fees` and `slippage`); `mark-to-market` — left open, valued at the last prices.
   */
  endOfRun: { mode: 'close' | 'mark-to-market'; closed: number; fees: number; slippage: number };
  /**
   * Aggregates of the round trips in positions.csv (src/analysis/round-trips.ts): episodes
   * (closed, open at the end), win rate (share of closed episodes with net PnL > 0), mean holding
   * hours of closed episodes, funding, costs (fees + slippage + interest, positive) and
   * funding / costs (null without costs), net (= pnl.total).
   */
  roundTrips: RoundTripStats;
}

/** Timing figures (wall clock): they go to run.json and stdout, never to summary.json. */
export interface RunTiming {
  loadMs: number;
  loopMs: number;
  /** CPU time of the loop, ms (user + system, all threads). */
  loopCpuMs?: number;
  /** CPU time of the loop's own thread, ms (Linux; absent elsewhere). */
  loopThreadCpuMs?: number;
  totalMs: number;
  events: number;
  /** Of `events`, bar events replayed in bulk while the strategy slept (`ctx.sleep`). */
  quietEvents?: number;
  eventsPerSec: number;
  /** Peak resident set size of the process so far, MB. */
  peakRssMb?: number;
  /** Wall time of writing report.md/html after the run dir, ms (stdout only: run.json is written before). */
  reportMs?: number;
  /** Wall time of computing and writing the run directory, ms (stdout only). */
  writeMs?: number;
  /** Bytes of the run directory's files, report excluded (stdout only). */
  bytesWritten?: number;
}

/** The perpcarry version from package.json. */
export function perpcarryVersion(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    for (const up of ['../..', '../../..']) {
      const p = join(here, up, 'package.json');
      if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

/**
 * Metrics and attribution of a result; checks that the attribution adds up to the equity change.
 * `eq`: the equity arrays when the caller computed them already (a sweep streams only these two
 * columns instead of materializing every equity column).
 */
export function buildSummary(result: BacktestResult, runId: string, eq?: EquityArrays): RunSummary {
  if (!eq) {
    const { ts, columns } = result.samples.trimmed();
    eq = { ts, equity: columns.get('equity')!, grossExposure: columns.get('gross_exposure')! };
  }
  const metrics = computeMetrics({ ...eq, ...metricsInputOf(result) });
  return summaryOf(result, runId, { metrics, samples: eq.ts.length, problem: nonFiniteMetricProblem(metrics, eq.ts, eq.equity, isoUtc) });
}

/** The equity arrays the metrics read. */
export type EquityArrays = Required<Pick<MetricsInput, 'ts' | 'equity' | 'grossExposure'>>;

/** The metrics' inputs besides the equity curve: the window and the engine's tallies. */
function metricsInputOf(result: BacktestResult): StreamedMetricsInput {
  const c = result.config;
  const pf = result.portfolio;
  return {
    fromMs: c.fromMs,
    toMs: c.toMs,
    firstFillMs: pf.trades.length ? pf.trades[0]!.ts : undefined,
    tradedNotional: pf.tradedNotional,
    tradeCount: pf.trades.length,
    liquidationCount: pf.liquidations.length,
    minAdverseLiqDistance: pf.minAdverseLiqDistance === Infinity ? NaN : pf.minAdverseLiqDistance,
    initialEquity: result.initialEquity,
    benchmarkApr: c.benchmarkApr ?? 0,
  };
}

/** A run's metrics, how many equity samples they cover, and why they cannot be reported (null: they can). */
interface RunMetrics {
  metrics: Metrics;
  samples: number;
  problem: string | null;
}

/** The summary from the run's metrics (computed over arrays, or streamed while equity.arrow was written). */
function summaryOf(
  result: BacktestResult,
  runId: string,
  { metrics, samples, problem }: RunMetrics,
  roundTrips: RoundTrips = roundTripsOf(result.portfolio, result.config.toMs),
): RunSummary {
  const c = result.config;
  if (problem) throw new UserError(`${problem} (run ${c.strategy.name} ${c.venues.join(',')} ${c.symbol} ${isoUtc(c.fromMs)} → ${isoUtc(c.toMs)})`);
  const pnl = result.pnl;
  const change = metrics.finalEquity - metrics.initialEquity;
  if (samples > 0 && Math.abs(pnl.total - change) > 1e-9 * Math.max(1, Math.abs(metrics.initialEquity))) {
    throw new Error(`internal: PnL attribution total ${pnl.total} ≠ equity change ${change}`);
  }
  assertRoundTripsAddUp(roundTrips, pnl, metrics.initialEquity);
  return {
    formatVersion: RUN_FORMAT_VERSION,
    runId,
    strategy: c.strategy.name,
    venues: [...c.venues],
    symbol: c.symbol,
    fromIso: isoUtc(c.fromMs),
    toIso: isoUtc(c.toMs),
    metrics,
    metricFlags: annualisationFlags(metrics),
    pnl: { ...pnl, total: pnl.total },
    dataIssues: result.dataIssues ?? [],
    orders: ordersSummary(result),
    endOfRun: { mode: result.endOfRun.mode, closed: result.endOfRun.closed, fees: result.endOfRun.fees, slippage: result.endOfRun.slippage },
    roundTrips: roundTripStats(roundTrips.rows, roundTrips.account),
  };
}

/** The round-trip rows plus account lines must give the attribution, part by part (the check the attribution itself gets). */
function assertRoundTripsAddUp(rt: RoundTrips, pnl: PnlBreakdown, initialEquity: number): void {
  const tot = roundTripTotals(rt);
  for (const k of ROUND_TRIP_PARTS) {
    if (Math.abs(tot[k] - pnl[k]) > 1e-9 * Math.max(1, Math.abs(pnl[k]), Math.abs(initialEquity))) {
      throw new Error(`internal: round trips sum to ${k} ${tot[k]}, the attribution says ${pnl[k]}`);
    }
  }
}

/** positions.csv rows: the round trips, then the account lines. */
function positionRows(rt: RoundTrips): CsvRow<'positions'>[] {
  const iso = (ts: number): string => (Number.isNaN(ts) ? '' : isoUtc(ts));
  const rows: CsvRow<'positions'>[] = rt.rows.map((r) => ({ ...r, openIso: iso(r.openTs), closeIso: iso(r.closeTs) }));
  for (const a of rt.account) {
    rows.push({
      ...a, symbol: '', type: 'account', side: '', openTs: NaN, openIso: '', closeTs: NaN, closeIso: '', qty: NaN, entryPrice: NaN, exitPrice: NaN,
      holdingHours: NaN, net: sumParts(a), exitReason: '', fills: 0,
    });
  }
  return rows;
}

/** The order figures of summary.json (reasons in a fixed order, so the file is byte-stable). */
function ordersSummary(result: BacktestResult): RunSummary['orders'] {
  const o = result.orders;
  const byReason: Record<string, number> = {};
  for (const k of Object.keys(o.rejectedByReason).sort()) byReason[k] = o.rejectedByReason[k as keyof typeof o.rejectedByReason]!;
  return { rejected: o.rejected, rejectedByReason: byReason, expired: o.expired, hedgesRefused: o.hedgesRefused, hedgesBroken: o.hedgesBroken, hedgesUnwound: o.hedgesUnwound, makerFills: o.makerFills };
}

/** The run.json object: enough to rerun with `--config`. */
export function buildRunJson(result: BacktestResult, runId: string, createdAt: string, timing: RunTiming): Record<string, unknown> {
  const c = result.config;
  return {
    formatVersion: RUN_FORMAT_VERSION,
    perpcarryVersion: perpcarryVersion(),
    runId,
    createdAt,
    // The config that the run id hashes, from the one list of its fields, so the two cannot drift.
    ...runIdentity(result),
    fromIso: isoUtc(c.fromMs),
    toIso: isoUtc(c.toMs),
    window: c.window ?? null,
    acceptDataErrors: c.acceptDataErrors ?? false,
    data: result.market.files.map((f) => ({ ...f, path: relativeDataPath(f.path, c.dataDir) })),
    dataDir: c.dataDir,
    timing,
    rejectedOrders: result.rejected,
  };
}

function relativeDataPath(path: string, dataDir: string): string {
  const d = dataDir.endsWith('/') ? dataDir : dataDir + '/';
  return path.startsWith(d) ? path.slice(d.length) : path;
}

/** JSON with NaN/±Infinity written as null. */
export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

/** A CSV number: shortest round-trip `String(x)`, empty for NaN. */
function num(x: number): string {
  return Number.isNaN(x) ? '' : String(x);
}

function csvText(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows → the text of CSV file `k` (run-format.ts): its header, then its columns in order. */
function toCsv<K extends CsvName>(k: K, rows: readonly CsvRow<K>[]): string {
  const header = csvColumnNames(k);
  const out: string[] = [header.join(',')];
  for (const r of rows) out.push(header.map((c) => cell(r[c])).join(','));
  return out.join('\n') + '\n';
}

function cell(v: string | number): string {
  return typeof v === 'number' ? num(v) : csvText(v);
}

/**
 * Append a number's CSV text to `buf` at `pos`, returning the new position. Integers (|x| < 2^53)
 * are exact; other values are written in fixed point with 10 significant digits for |x| ≥ 1 and
 * 10 decimals below 1 (trailing zeros dropped): every figure a human reads from equity.csv, to
 * well below a cent; equity.arrow keeps full float64 precision. NaN is empty. Magnitudes outside
 * [1e-10, 1e15) fall back to `String(x)`.
 */
export function writeCsvNumber(buf: Uint8Array, pos: number, x: number): number {
  if (x !== x) return pos;
  if (x === 0) {
    buf[pos] = 48;
    return pos + 1;
  }
  let a = x;
  if (a < 0) {
    buf[pos++] = 45;
    a = -a;
  }
  if (a >= 1e15 || a < 1e-10 || a === Infinity) {
    const s = String(a);
    for (let k = 0; k < s.length; k++) buf[pos++] = s.charCodeAt(k);
    return pos;
  }
  if (Number.isInteger(a)) return writeUint(buf, pos, a);
  let intDigits = 0;
  while (intDigits < 15 && a >= POW10[intDigits]!) intDigits++;
  const decimals = intDigits >= 10 ? 0 : 10 - intDigits;
  const scale = POW10[decimals]!;
  const n = Math.round(a * scale);
  let ip = Math.floor(n / scale);
  let frac = n - ip * scale;
  if (frac >= scale) {
    ip += 1;
    frac -= scale;
  }
  pos = writeUint(buf, pos, ip);
  if (frac > 0) {
    // frac < 1e10: split into two int32-safe halves for fast digit extraction.
    let d = decimals;
    let f = frac;
    while (f % 10 === 0) {
      f /= 10;
      d--;
    }
    buf[pos++] = 46;
    const end = pos + d;
    let k = end - 1;
    if (f >= 2147483648) {
      const hi = Math.floor(f / 100000);
      let lo = f - hi * 100000;
      for (let j = 0; j < 5; j++, k--) {
        buf[k] = 48 + (lo % 10);
        lo = (lo / 10) | 0;
      }
      f = hi;
    }
    let fi = f | 0;
    for (; k >= pos; k--) {
      buf[k] = 48 + (fi % 10);
      fi = (fi / 10) | 0;
    }
    pos = end;
  }
  return pos;
}

const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

function writeUint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 2147483648) {
    let v = n | 0;
    let len = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) len++;
    const end = pos + len;
    for (let k = end - 1; k >= pos; k--) {
      buf[k] = 48 + (v % 10);
      v = (v / 10) | 0;
    }
    return end;
  }
  const hi = Math.floor(n / 1e9);
  const lo = n - hi * 1e9;
  pos = writeUint(buf, pos, hi);
  let v = lo | 0;
  for (let k = pos + 8; k >= pos; k--) {
    buf[k] = 48 + (v % 10);
    v = (v / 10) | 0;
  }
  return pos + 9;
}

/**
 * equity.csv written straight to a file as bytes (no per-cell strings: a year of 1m samples is
 * 9M cells), batch by batch, flushing a 4 MB buffer as it fills.
 */
export class EquityCsvWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(4 << 20);
  private pos: number;
  private readonly lastVal: Float64Array;
  private readonly lastLen: Int32Array;
  private readonly lastBytes: Uint8Array;
  private rows = 0;

  constructor(path: string, names: readonly string[]) {
    this.fd = openSync(path, 'w');
    this.pos = this.buf.write('ts,' + names.map(csvText).join(',') + '\n', 0, 'utf8');
    const nc = names.length;
    this.lastVal = new Float64Array(nc).fill(NaN);
    this.lastLen = new Int32Array(nc);
    this.lastBytes = new Uint8Array(32 * nc);
  }

  /** Append rows `[0, length)` of `ts` and `cols` (column order of the header). */
  writeRows(ts: Float64Array, cols: readonly Float64Array[], length: number): void {
    const buf = this.buf;
    const cap = buf.length;
    const nc = cols.length;
    const { lastVal, lastLen, lastBytes } = this;
    // Worst case per row: 24 bytes per cell.
    const rowMax = 24 * (nc + 1) + 2;
    let pos = this.pos;
    for (let r = 0; r < length; r++) {
      if (pos + rowMax > cap) {
        writeAll(this.fd, buf, pos);
        pos = 0;
      }
      pos = writeCsvNumber(buf, pos, ts[r]!);
      for (let c = 0; c < nc; c++) {
        buf[pos++] = 44;
        const x = cols[c]![r]!;
        // Most columns (cumulative costs, positions) repeat the previous row: copy its bytes.
        if (x === lastVal[c] && this.rows + r > 0) {
          const from = c * 32;
          const len = lastLen[c]!;
          for (let k = 0; k < len; k++) buf[pos + k] = lastBytes[from + k]!;
          pos += len;
        } else {
          const start = pos;
          pos = writeCsvNumber(buf, pos, x);
          const len = pos - start;
          if (len <= 32) {
            lastVal[c] = x;
            lastLen[c] = len;
            lastBytes.set(buf.subarray(start, pos), c * 32);
          } else lastVal[c] = NaN;
        }
      }
      buf[pos++] = 10;
    }
    this.pos = pos;
    this.rows += length;
  }

  /** Flush and close. */
  close(): void {
    try {
      writeAll(this.fd, this.buf, this.pos);
    } finally {
      closeSync(this.fd);
    }
  }

  /** Close without flushing (after an error). */
  abort(): void {
    closeSync(this.fd);
  }
}

/** Write a whole equity.csv from in-memory columns. */
export function writeEquityCsv(path: string, ts: Float64Array, names: readonly string[], cols: readonly Float64Array[]): void {
  const w = new EquityCsvWriter(path, names);
  try {
    w.writeRows(ts, cols, ts.length);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
}

function writeAll(fd: number, buf: Uint8Array, len: number): void {
  let off = 0;
  while (off < len) off += writeSync(fd, buf, off, len - off);
}

/** Options of {@link writeRunDir}. */
export interface WriteRunOptions {
  runId: string;
  createdAt: string;
  timing: RunTiming;
  /** Also write equity.csv (every sample; `--csv`). Default false: equity.arrow has every column. */
  csv?: boolean;
  /** More text files for the run directory, written with the others (name → content), e.g. run.log. */
  extraFiles?: Readonly<Record<string, string>>;
}

/** What {@link writeRunDir} wrote. */
export interface WrittenRun {
  summary: RunSummary;
  dir: string;
  /** Total size of the files written, bytes. */
  bytes: number;
  /** Wall time of computing and writing the whole run directory, ms. */
  writeMs: number;
}

/** Rows per equity.arrow record batch (and per computed chunk): 64 Ki rows, 0.5 MB per column. */
export const EQUITY_BATCH_ROWS = 1 << 16;

/**
 * Write the run directory `outDir` atomically: claim it ({@link claimRunDir}: a second writer of
 * the same `--out` waits), build everything in `.<name>.tmp-<pid>` beside it, fsync, rename. An
 * existing `outDir` is replaced only after the new one is complete.
 */
export function writeRunDir(result: BacktestResult, outDir: string, opts: WriteRunOptions): WrittenRun {
  const t0 = performance.now();
  const runJson = buildRunJson(result, opts.runId, opts.createdAt, opts.timing);
  return asRunDirError(outDir, () => {
    const claim = claimRunDir(outDir);
    try {
      assertRunDirTarget(outDir);
      const { summary, bytes } = writeRunDirFiles(result, claim.tmp, opts, runJson);
      claim.commit();
      return { summary, dir: outDir, bytes, writeMs: performance.now() - t0 };
    } finally {
      claim.release();
    }
  });
}

/**
 * {@link writeRunDir}, then `finish(tmpDir)` (e.g. the reports) inside the same claim, before the
 * run directory appears at its final path: a reader never sees a run without its report. A
 * `finish` that throws does not stop the commit; its error is returned as `finishError`.
 */
export async function writeRunDirThen(
  result: BacktestResult,
  outDir: string,
  opts: WriteRunOptions,
  finish: (tmpDir: string) => Promise<void>,
): Promise<WrittenRun & { finishError?: Error }> {
  const t0 = performance.now();
  const runJson = buildRunJson(result, opts.runId, opts.createdAt, opts.timing);
  const claim = asRunDirError(outDir, () => claimRunDir(outDir));
  try {
    const written = asRunDirError(outDir, () => {
      assertRunDirTarget(outDir);
      return writeRunDirFiles(result, claim.tmp, opts, runJson);
    });
    const writeMs = performance.now() - t0;
    let finishError: Error | undefined;
    try {
      await finish(claim.tmp);
    } catch (e) {
      finishError = e as Error;
    }
    asRunDirError(outDir, () => claim.commit());
    return { ...written, dir: outDir, writeMs, ...(finishError ? { finishError } : {}) };
  } finally {
    claim.release();
  }
}

/** Run `fn`, turning a file-system refusal (read-only, full, a file in the way) into a UserError naming --out. */
function asRunDirError<T>(outDir: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EISDIR', 'ENAMETOOLONG'].includes(code)) {
      throw new UserError(`cannot write the run directory ${outDir} (--out): ${(e as Error).message}`);
    }
    throw e;
  }
}

/**
 * Refuse an `--out` that would replace something other than a run: an existing file, or a
 * non-empty directory without run.json (`--out .` or `--out README.md` used to be swapped
 * for the run directory, deleting what was there).
 */
export function assertRunDirTarget(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) {
    throw new UserError(`--out ${outDir}: exists and is not a directory; give a new or run directory (it is replaced as a whole)`);
  }
  const entries = readdirSync(outDir);
  if (entries.length > 0 && !entries.includes(RUN_FILES.run)) {
    throw new UserError(`--out ${outDir}: a non-empty directory that is not a run directory (no run.json); give a new or run directory (it is replaced as a whole)`);
  }
}

function writeRunDirFiles(
  result: BacktestResult,
  tmp: string,
  opts: WriteRunOptions,
  runJson: ReturnType<typeof buildRunJson>,
): { summary: RunSummary; bytes: number } {
  try {
    const pf = result.portfolio;
    let bytes = 0;
    const put = (name: string, text: string): void => {
      writeFileSync(join(tmp, name), text);
      startWriteback(join(tmp, name));
      bytes += Buffer.byteLength(text);
    };
    const eq = streamEquity(result, tmp, opts);
    bytes += eq.bytes;
    const roundTrips = roundTripsOf(pf, result.config.toMs);
    const summary = summaryOf(result, opts.runId, eq.metrics, roundTrips);
    put(RUN_FILES.run, toJson(runJson));
    put(RUN_FILES.summary, toJson(summary));
    const csv = <K extends CsvName>(k: K, rows: readonly CsvRow<K>[]): void => put(CSV_FILES[k].file, toCsv(k, rows));
    csv('trades', pf.trades);
    csv('funding', pf.fundings);
    csv('positions', positionRows(roundTrips));
    csv(
      'positionChanges',
      result.samples.positionChanges().map((p) => {
        const ins = pf.instruments[p.instrument]!;
        return { ...p, venue: ins.venue, symbol: ins.symbol, type: ins.type };
      }),
    );
    csv('liquidations', pf.liquidations);
    // Only runs that were auto-deleveraged have it (a scenario ADL event or a gap liquidation).
    if (pf.adl.length > 0) csv('adl', pf.adl);
    csv('ledger', pf.ledger);
    for (const [name, text] of Object.entries(opts.extraFiles ?? {})) put(name, text);
    return { summary, bytes };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Compute the equity columns batch by batch and write each batch to equity.arrow (and
 * equity.csv with `csv`) as it is computed, and the metrics from each batch: no column is held
 * whole, and the batch buffers are reused.
 */
function streamEquity(result: BacktestResult, dir: string, opts: WriteRunOptions): { bytes: number; metrics: RunMetrics } {
  const sampler = result.samples;
  const n = sampler.length;
  const ts = sampler.ts;
  const names = sampler.columnNames();
  const iEq = names.indexOf('equity');
  const iGross = names.indexOf('gross_exposure');
  const B = Math.min(EQUITY_BATCH_ROWS, Math.max(1, n));
  const out = names.map(() => new Float64Array(B));
  const stream = new EquityMetricsStream(metricsInputOf(result));
  const arrow = new Float64IpcFileWriter(join(dir, RUN_FILES.equityArrow), names, { 'perpcarry.runId': opts.runId, 'perpcarry.format': EQUITY_ARROW_FORMAT });
  const csv = opts.csv ? new EquityCsvWriter(join(dir, RUN_FILES.equityCsv), names) : null;
  try {
    const cur = sampler.cursor();
    for (let from = 0; from < n; from += B) {
      const to = Math.min(n, from + B);
      sampler.fillColumns(from, to, out, cur);
      const len = to - from;
      const bts = ts.subarray(from, to);
      stream.add(bts, out[iEq]!, out[iGross]!, len);
      arrow.writeBatch(bts, out, len);
      csv?.writeRows(bts, out, len);
      // The disk writes what is done while the next batches are computed.
      startWriteback(arrow.path);
    }
    arrow.close();
    csv?.close();
    startWriteback(arrow.path);
    if (csv) startWriteback(join(dir, RUN_FILES.equityCsv));
  } catch (e) {
    arrow.abort();
    csv?.abort();
    throw e;
  }
  let bytes = arrow.bytesWritten;
  if (csv) bytes += statSync(join(dir, RUN_FILES.equityCsv)).size;
  const metrics = stream.finish();
  return { bytes, metrics: { metrics, samples: n, problem: stream.problem(metrics, isoUtc) } };
}

/**
 * The resolved inputs that decide a run's results, in a fixed shape: strategy (name and source),
 * params with defaults, venues, symbol, timeframe, window [fromMs, toMs), capital, seed, fill rule,
 * spot borrowing, funding history days and the resolved models. Not included: the window's name (the
 * same range gives the same results), the data directory and file hashes (where the data lives is
 * not part of the config), `acceptDataErrors`, and wall-clock values.
 */
export function runIdentity(result: RunIdentitySource): Record<string, unknown> {
  const c = result.config;
  return {
    strategy: { name: c.strategy.name, source: c.strategySource ?? c.strategy.name },
    params: result.params,
    venues: [...c.venues],
    symbol: c.symbol,
    timeframe: c.timeframe,
    fromMs: c.fromMs,
    toMs: c.toMs,
    capital: result.capital,
    seed: result.seed,
    fillAt: result.fillAt,
    allowSpotBorrow: result.allowSpotBorrow,
    fundingHistoryDays: c.fundingHistoryDays ?? 30,
    models: result.models,
    // Only when set, so that runs without a benchmark keep their ids.
    ...(c.benchmarkApr ? { benchmarkApr: c.benchmarkApr } : {}),
    // Only when set, so that runs closing their book at the end (the default) keep their ids.
    ...(c.markToMarketEnd === true ? { markToMarketEnd: true } : {}),
    // Only when present, so that runs without scenarios keep their ids.
    ...(c.scenarios && c.scenarios.length > 0 ? { scenarios: c.scenarios.map((s) => ({ name: s.name, source: s.source, doc: s.doc })) } : {}),
  };
}

/** What a run's identity reads: a result, or a prepared backtest before it runs (a sweep skips done points by it). */
export type RunIdentitySource = Pick<BacktestResult, 'config' | 'params' | 'capital' | 'seed' | 'fillAt' | 'allowSpotBorrow' | 'models'>;

/** See src/core/canonical-json.ts (re-exported: the config hash is defined on it). */
export { canonicalJson };

/** First 8 hex digits of the sha256 of the canonical JSON of {@link runIdentity}. */
export function configHash(result: RunIdentitySource): string {
  return createHash('sha256').update(canonicalJson(runIdentity(result))).digest('hex').slice(0, 8);
}

/**
 * The default run id: `<strategy>-<symbol>-<venues>-<from>-<to>-s<seed>-<configHash>`, made
 * filesystem-safe, e.g. `delta-neutral-ETH-USDT-binance-20250202-20250205-s1-1a2b3c4d`. Runs that
 * differ in any param or model get different ids (so different report directories); the same
 * config always gets the same id.
 */
export function defaultRunId(result: RunIdentitySource): string {
  const c = result.config;
  const d = (t: number): string => isoUtc(t).slice(0, 16).replace(/[-:]/g, '').replace('T0000', '');
  return `${c.strategy.name}-${c.symbol.replace(/[/:]/g, '-')}-${c.venues.join('+')}-${d(c.fromMs)}-${d(c.toMs)}-s${result.seed}-${configHash(result)}`.replace(/[^A-Za-z0-9._+-]/g, '_');
}
