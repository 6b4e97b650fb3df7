/**
 * Read and validate a run directory (docs/RUN_FORMAT.md; files and columns from run-format.ts)
 * into typed arrays.
 * Everything `report` and `compare` show comes from here; nothing else in the run is consulted.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataError, UserError } from '../../core/errors.js';
import { readSeriesFile } from '../../data/store.js';
import { sha256Hex } from '../../data/catalog.js';
import type { Metrics } from '../metrics.js';
import {
  CSV_FILES, EQUITY_LATER_COLUMNS, METRIC_KEYS, PNL_COMPONENTS, REQUIRED_EQUITY_COLUMNS, REQUIRED_METRIC_KEYS, REQUIRED_RUN_FILES, RUN_FILES, RUN_FORMAT_VERSION,
  csvColumnNames, requiredCsvColumns, type ColumnKind, type CsvColumns, type CsvName, type PnlComponent,
} from '../run-format.js';
import { numCol, parseCsv, type CsvTable } from './csv.js';

/** One input data file recorded in run.json. */
export interface RunDataRef {
  path: string;
  sha256: string;
  rows?: number;
  venue?: string;
  symbol?: string;
  kind?: string;
  timeframe?: string | null;
}

/** run.json as far as the readers rely on it; other fields are kept and shown verbatim. */
export interface RunJson {
  formatVersion: number;
  runId: string;
  perpcarryVersion?: string;
  strategy?: { name?: string; source?: string };
  params?: Record<string, unknown>;
  venues?: unknown;
  symbol?: unknown;
  timeframe?: string;
  fromMs: number;
  toMs: number;
  fromIso?: string;
  toIso?: string;
  capital?: number;
  data: RunDataRef[];
  [k: string]: unknown;
}

/** summary.json; metric values are null where undefined (NaN). */
export interface SummaryJson {
  formatVersion: number;
  runId: string;
  metrics: Record<keyof Metrics, number | null>;
  pnl: Record<PnlComponent | 'total', number | null>;
  [k: string]: unknown;
}

/** trades.csv as columns. */
export type TradesTable = CsvColumns<'trades'>;
/** funding.csv as columns. */
export type FundingTable = CsvColumns<'funding'>;
/** liquidations.csv as columns. */
export type LiquidationsTable = CsvColumns<'liquidations'>;
/** adl.csv as columns (no rows when the run was not auto-deleveraged and the file is absent). */
export type AdlTable = CsvColumns<'adl'>;
/** positions.csv as columns: the round trips, then the `account` rows. */
export type RoundTripsTable = CsvColumns<'positions'>;

/** Everything in a run directory, validated. */
export interface RunData {
  /** Absolute path of the run directory. */
  dir: string;
  run: RunJson;
  summary: SummaryJson;
  /** equity.arrow: `ts` plus every column by name, in file order. */
  equity: { ts: Float64Array; columns: Record<string, Float64Array>; columnOrder: string[] };
  trades: TradesTable;
  funding: FundingTable;
  liquidations: LiquidationsTable;
  adl: AdlTable;
  /** The round trips; null for a run written before them (its positions.csv holds position snapshots). */
  roundTrips: RoundTripsTable | null;
}

function readJson(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DataError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(path, 'expected a JSON object');
  return v as Record<string, unknown>;
}

function checkVersion(obj: Record<string, unknown>, path: string): void {
  const v = obj.formatVersion;
  if (v === undefined) throw new DataError(path, `no "formatVersion" field: not a perpcarry run directory of format version ${RUN_FORMAT_VERSION}`);
  if (v !== RUN_FORMAT_VERSION)
    throw new DataError(path, `formatVersion ${JSON.stringify(v)} is not supported (this perpcarry reads run format version ${RUN_FORMAT_VERSION}); re-run the backtest with this version`);
}

function requireFields(obj: unknown, fields: readonly string[], path: string, where = ''): asserts obj is Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new DataError(path, `${where ? `"${where.slice(0, -1)}"` : 'the document'} must be an object, got ${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj}`);
  }
  const missing = fields.filter((f) => !(f in obj));
  if (missing.length) throw new DataError(path, `missing field(s) ${missing.map((m) => `"${where}${m}"`).join(', ')}`);
}

/**
 * Read CSV file `k` of the run directory `dir` into typed columns (run-format.ts): numbers as
 * Float64Array, text as string[]; a later-added column the file lacks reads as '' / NaN. A
 * file that is optional in the format and absent reads as no rows.
 */
export function readCsvTable<K extends CsvName>(dir: string, k: K): CsvColumns<K> {
  const f = CSV_FILES[k];
  const path = join(dir, f.file);
  const t: CsvTable = !f.always && !existsSync(path)
    ? { header: [], rows: 0, cols: {} }
    : parseCsv(readFileSync(path, 'utf8'), path, requiredCsvColumns(k));
  const kinds: Readonly<Record<string, ColumnKind>> = f.columns;
  const out: Record<string, Float64Array | string[]> = {};
  for (const c of csvColumnNames(k)) {
    if (kinds[c] === 'str') out[c] = t.cols[c] ?? new Array<string>(t.rows).fill('');
    else out[c] = t.cols[c] ? numCol(t, c, path) : new Float64Array(t.rows).fill(NaN);
  }
  return out as CsvColumns<K>;
}

/**
 * equity.arrow's content already in memory: the arrays the backtest just wrote (`ts` plus the
 * columns in file order, as a Map or an object). Lets `backtest` report without re-reading the file.
 */
export interface EquityArrays {
  ts: Float64Array;
  columns: ReadonlyMap<string, Float64Array> | Readonly<Record<string, Float64Array>>;
}

/** Options of {@link readRunDir}. */
export interface ReadRunDirOptions {
  /** Use these arrays instead of reading equity.arrow (validated the same way; the file must still exist). */
  equity?: EquityArrays;
}

/**
 * Read and validate `dir`. Throws a {@link UserError} naming every missing file, or a
 * {@link DataError} naming the file, field/column and row at fault. Reads only; writes nothing.
 */
export function readRunDir(dir: string, opts: ReadRunDirOptions = {}): RunData {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new UserError(`run directory ${dir} does not exist`);
  if (!statSync(abs).isDirectory()) throw new UserError(`${dir} is not a directory (expected a run directory such as reports/<run-id>/)`);
  const missing = REQUIRED_RUN_FILES.filter((f) => !existsSync(join(abs, f)));
  if (missing.length)
    throw new UserError(
      `run directory ${dir} is incomplete: missing ${missing.join(', ')} (a complete run has ${REQUIRED_RUN_FILES.join(', ')}; re-run the backtest)`,
    );

  const runPath = join(abs, RUN_FILES.run);
  const runObj = readJson(runPath);
  checkVersion(runObj, runPath);
  requireFields(runObj, ['runId', 'fromMs', 'toMs', 'data'], runPath);
  if (!Array.isArray(runObj.data)) throw new DataError(runPath, '"data" must be an array of {path, sha256, …}');
  checkRunJsonFields(runObj, runPath);
  const run = runObj as unknown as RunJson;

  const sumPath = join(abs, RUN_FILES.summary);
  const sumObj = readJson(sumPath);
  checkVersion(sumObj, sumPath);
  requireFields(sumObj, ['runId', 'metrics', 'pnl'], sumPath);
  requireFields(sumObj.metrics, REQUIRED_METRIC_KEYS, sumPath, 'metrics.');
  // Runs written before the `adl` line existed have none: it was 0 (no ADL was modelled).
  const pnlObj = sumObj.pnl as Record<string, unknown> | undefined;
  if (pnlObj && typeof pnlObj === 'object' && !('adl' in pnlObj)) pnlObj['adl'] = 0;
  requireFields(sumObj.pnl, [...PNL_COMPONENTS, 'total'], sumPath, 'pnl.');
  for (const [group, keys] of [['metrics', METRIC_KEYS], ['pnl', [...PNL_COMPONENTS, 'total']]] as const) {
    const o = sumObj[group] as Record<string, unknown>;
    for (const k of keys) if (o[k] !== null && typeof o[k] !== 'number') throw new DataError(sumPath, `"${group}.${k}" must be a number or null, got ${JSON.stringify(o[k])}`);
  }
  const summary = sumObj as unknown as SummaryJson;
  if (summary.runId !== run.runId) throw new DataError(sumPath, `runId "${summary.runId}" differs from run.json runId "${run.runId}"`);

  const eqPath = join(abs, RUN_FILES.equityArrow);
  const eq = opts.equity ? equityFromArrays(opts.equity) : readSeriesFile(eqPath);
  const eqMissing = REQUIRED_EQUITY_COLUMNS.filter((c) => !eq.columns[c]);
  if (eqMissing.length) throw new DataError(eqPath, `missing column(s) ${eqMissing.map((c) => `"${c}"`).join(', ')}`);
  if (eq.ts.length === 0) throw new DataError(eqPath, 'no equity samples');
  // Runs from before a later column (the adl line) have none: it was 0.
  for (const c of EQUITY_LATER_COLUMNS) eq.columns[c] ??= new Float64Array(eq.ts.length);
  for (let i = 1; i < eq.ts.length; i++)
    if (!(eq.ts[i]! > eq.ts[i - 1]!)) throw new DataError(eqPath, `ts not strictly increasing (${eq.ts[i - 1]} then ${eq.ts[i]})`, i + 1, 'ts');

  const trades = readCsvTable(abs, 'trades');
  const funding = readCsvTable(abs, 'funding');
  const liquidations = readCsvTable(abs, 'liquidations');
  const adl = readCsvTable(abs, 'adl');
  const roundTrips = hasRoundTrips(abs) ? readCsvTable(abs, 'positions') : null;

  return {
    dir: abs,
    run,
    summary,
    equity: { ts: eq.ts, columns: eq.columns, columnOrder: Object.keys(eq.columns) },
    trades,
    funding,
    liquidations,
    adl,
    roundTrips,
  };
}

/** positions.csv holds round trips (its header has `openTs`), not the older position snapshots (`ts,…`). */
function hasRoundTrips(dir: string): boolean {
  const text = readFileSync(join(dir, RUN_FILES.positions), 'utf8');
  const nl = text.indexOf('\n');
  const header = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '').split(',');
  return !header.includes('ts') || header.includes('openTs');
}

/** The run.json fields readers compute with: a finite window and well-formed data references. */
function checkRunJsonFields(run: Record<string, unknown>, path: string): void {
  for (const k of ['fromMs', 'toMs'] as const) {
    const v = run[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || Math.abs(v) > 8.64e15) throw new DataError(path, `"${k}" must be an integer epoch ms, got ${JSON.stringify(v)}`);
  }
  if (!((run['toMs'] as number) > (run['fromMs'] as number))) throw new DataError(path, `"toMs" must be after "fromMs"`);
  (run['data'] as unknown[]).forEach((d, i) => {
    if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new DataError(path, `"data[${i}]" must be an object {path, sha256, …}, got ${JSON.stringify(d)}`);
    const o = d as Record<string, unknown>;
    for (const k of ['path', 'sha256']) if (typeof o[k] !== 'string') throw new DataError(path, `"data[${i}].${k}" must be a string, got ${JSON.stringify(o[k])}`);
    for (const k of ['venue', 'symbol', 'kind']) if (o[k] !== undefined && typeof o[k] !== 'string') throw new DataError(path, `"data[${i}].${k}" must be a string, got ${JSON.stringify(o[k])}`);
  });
}

/** Normalize in-memory equity arrays to readSeriesFile's shape, every column cut to ts.length. */
function equityFromArrays(e: EquityArrays): { ts: Float64Array; columns: Record<string, Float64Array> } {
  const n = e.ts.length;
  const entries: [string, Float64Array][] = e.columns instanceof Map ? [...(e.columns as Map<string, Float64Array>)] : Object.entries(e.columns as Record<string, Float64Array>);
  const columns: Record<string, Float64Array> = {};
  for (const [k, v] of entries) columns[k] = v.length === n ? v : v.subarray(0, n);
  return { ts: e.ts, columns };
}

/** Column names of equity.arrow with a given `prefix:` (e.g. `pos`, `margin_ratio`), in file order. */
export function columnsWithPrefix(run: RunData, prefix: string): string[] {
  return run.equity.columnOrder.filter((c) => c.startsWith(`${prefix}:`));
}

/** Funding settlements of one perp over the run window, from the data store (not the run dir). */
export interface MarketFunding {
  ts: Float64Array;
  rate: Float64Array;
  intervalHours: Float64Array;
}

/**
 * Optional enrichment: the full funding series of each perp the run used (also settlements when the
 * book was flat), read from the data file named in run.json `data[]` under run.json `dataDir`, but
 * only if that file still has the recorded sha256 (otherwise the chart would show other data than
 * the run saw). Returns `venue:symbol` → series; missing/changed files are skipped and listed.
 */
export function loadMarketFunding(run: RunData): { series: Map<string, MarketFunding>; skipped: string[] } {
  const series = new Map<string, MarketFunding>();
  const skipped: string[] = [];
  const dataDir = typeof run.run['dataDir'] === 'string' ? (run.run['dataDir']) : (process.env['PERPCARRY_DATA_DIR'] ?? 'data');
  for (const d of run.run.data) {
    if (d.kind !== 'funding' || !d.venue || !d.symbol) continue;
    const path = join(dataDir, d.path);
    try {
      if (!existsSync(path)) {
        skipped.push(`${d.path} (not found)`);
        continue;
      }
      if (sha256Hex(readFileSync(path)) !== d.sha256) {
        skipped.push(`${d.path} (changed since the run)`);
        continue;
      }
      const f = readSeriesFile(path, { fromMs: run.run.fromMs, toMs: run.run.toMs + 1 });
      const rate = f.columns['rate'];
      const ih = f.columns['interval_hours'];
      if (!rate || !ih) {
        skipped.push(`${d.path} (no rate/interval_hours columns)`);
        continue;
      }
      series.set(`${d.venue}:${d.symbol}`, { ts: f.ts, rate, intervalHours: ih });
    } catch (e) {
      skipped.push(`${d.path} (${(e as Error).message})`);
    }
  }
  return { series, skipped };
}
