/**
 * Importers: read CSV / JSON / parquet files (generic with column mapping, or Binance public-data
 * presets) into a clean {@link SeriesColumns}, then merge it into the Arrow store.
 *
 * `parseSeriesFile` parses without touching the store (for fetchers, benchmarks and dry runs);
 * `importFile` parses and then stores. Parsing completes before anything is written, and the store
 * write is temp file + rename, so bad input or a kill mid-import leaves the store untouched.
 */
import { extname, resolve } from 'node:path';
import { DataError, UserError } from '../../core/errors.js';
import type { SeriesKind, Symbol, VenueId } from '../../core/ids.js';
import { parseSymbol } from '../../core/ids.js';
import { storeSeries, type Provenance, type StoreSeriesResult } from '../catalog.js';
import type { SeriesColumns } from '../store.js';
import type { ValidationReport } from '../validate.js';
import { BINANCE_FUNDING_COLUMNS, BINANCE_KLINE_COLUMNS, parseCsvStream } from './csv-series.js';
import { finishSeries } from './finish-series.js';
import { SeriesBuilder, planColumns } from './series-builder.js';
import { parseCsv, parseJsonTable, parseParquet, readInputBytes, type RawTable } from './table.js';
import { inflateZipEntry, openZipEntry } from './zip.js';
import type { TsUnit } from './timestamps.js';

export { parseCsv, parseJsonTable, parseParquet, tableFromRecords, type RawTable } from './table.js';
export { parseTimestampCell, wallTimeToUtc, zoneOffsetMs, type TsUnit } from './timestamps.js';
export { inferIntervals } from './finish-series.js';
export { percentToDecimal } from './series-builder.js';
export { BINANCE_FUNDING_COLUMNS, BINANCE_KLINE_COLUMNS, CsvSeriesStream } from './csv-series.js';

/** Input formats. `binance-klines` / `binance-funding` are data.binance.vision CSV presets. */
export type ImportFormat = 'csv' | 'json' | 'parquet' | 'binance-klines' | 'binance-funding';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'json', 'parquet', 'binance-klines', 'binance-funding'];

/** How to read a source file into one series. Everything but file/kind is optional. */
export interface ParseOptions {
  file: string;
  kind: SeriesKind;
  /** Bar timeframe for bar kinds (`1m`, `1h`…). Required for ohlcv/mark/index. */
  timeframe?: string;
  /** Default: from the extension (.csv/.json/.parquet; .zip holding one CSV, as data.binance.vision serves them); CSV headers of the Binance presets are recognised. */
  format?: ImportFormat;
  /** Timestamp column (default: first of timestamp, ts, time, open_time, fundingTime, … present). */
  tsColumn?: string;
  /** Unit of numeric timestamps (default `auto`: by magnitude; Binance 2025+ spot files are µs). */
  tsUnit?: TsUnit;
  /**
   * Added to every timestamp after it is read (and after `timezone`), ms: for sources that stamp rows
   * at a time other than their true open (all_exchanges.csv Bybit/OKX 8h bars: −4 h). Default 0.
   */
  tsShiftMs?: number;
  /** Timestamp format such as `DD/MM/YYYY HH:mm` for non-ISO strings. */
  tsFormat?: string;
  /** IANA zone of timestamps that carry no offset (default UTC), e.g. Europe/London for Binance web exports. */
  timezone?: string;
  /** Target column → source column (e.g. {close: 'c', rate: 'Funding Rate'}). */
  columns?: Record<string, string>;
  /** Single-value source column: bars get open = high = low = close = value, volume null. */
  valueColumn?: string;
  /** Unit of funding rates in the file (default decimal). `percent` accepts "0.01%" or 0.01 and divides by 100. */
  rateUnit?: 'decimal' | 'percent';
  /** Declared row order: `asc` / `desc` are checked; `auto` (default) sorts whatever comes. */
  order?: 'auto' | 'asc' | 'desc';
  /** Funding interval in hours when the file has no interval column (default: inferred from spacing). */
  intervalHours?: number;
  /** Funding: snap settlement ts to this grid (default 1 h) when within `snapToleranceMs`. 0 disables. */
  snapMs?: number;
  /** Max distance to the grid that counts as jitter (default 5 min: Hyperliquid once settled 111 s late); beyond it is an error. */
  snapToleranceMs?: number;
  /** Keep only rows whose column equals the value (string comparison), e.g. {exchange: 'bybit'}. */
  where?: Record<string, string>;
  /** Keep only ts in [fromMs, toMs) (after snapping). */
  fromMs?: number;
  toMs?: number;
  /** CSV: header handling (default auto). */
  header?: boolean | 'auto';
}

/** A parsed series plus what the parser did. */
export interface ParsedSeries {
  series: SeriesColumns;
  kind: SeriesKind;
  timeframe?: string;
  format: ImportFormat;
  /** Data rows in the file. */
  rowsRead: number;
  /** Rows dropped by `where` / window filters. */
  rowsFiltered: number;
  /** Identical duplicate rows dropped (same ts and values). */
  duplicatesDropped: number;
  /** Funding rows whose ts was moved to the grid, and the largest move in ms. */
  snapped: number;
  maxJitterMs: number;
  /** Quirks handled and transformations applied, for provenance. */
  notes: string[];
  /** Source → target column mapping used. */
  mapping: Record<string, string>;
}

function formatFromExtension(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.csv' || ext === '.txt' || ext === '' || ext === '.zip') return 'csv';
  throw new UserError(`cannot tell the format of ${file} from its extension; pass --format (${IMPORT_FORMATS.join(', ')})`);
}

/**
 * Read a whole source file (or the file in a .zip) into a RawTable in memory, for callers that
 * parse several series from one small file (scripts/build-data.ts). Imports stream CSV instead.
 */
export async function readTable(file: string, format: ImportFormat, header: boolean | 'auto' = 'auto'): Promise<RawTable> {
  let bytes: Buffer;
  if (extname(file).toLowerCase() === '.zip') {
    const entry = openZipEntry(file);
    const parts: Buffer[] = [];
    await inflateZipEntry(file, entry, (chunk) => parts.push(Buffer.from(chunk)));
    bytes = Buffer.concat(parts);
  } else bytes = readInputBytes(file);
  if (format === 'parquet') return parseParquet(file, bytes);
  if (format === 'json') return parseJsonTable(file, bytes.toString('utf8'));
  if (format === 'binance-klines') return parseCsv(file, bytes.toString('utf8'), { header: 'auto', names: BINANCE_KLINE_COLUMNS });
  if (format === 'binance-funding') return parseCsv(file, bytes.toString('utf8'), { header: 'auto', names: BINANCE_FUNDING_COLUMNS });
  return parseCsv(file, bytes.toString('utf8'), { header });
}

/**
 * Parse a source file into a clean series (sorted, strictly increasing ts, no duplicates) without
 * touching the store. Throws DataError naming file, row and column on bad input. CSV (plain or the
 * one CSV in a data.binance.vision .zip) is streamed: memory grows with the rows kept (~8 bytes per
 * cell), not with the file's text.
 */
export async function parseSeriesFile(opts: ParseOptions): Promise<ParsedSeries> {
  const format = opts.format ?? formatFromExtension(opts.file);
  if (format === 'json' || format === 'parquet') return parseSeriesTable(await readTable(opts.file, format), { ...opts, format });
  return parseCsvStream(opts, format);
}

/** Like {@link parseSeriesFile} for a table already in memory (e.g. records from an API). */
export function parseSeriesTable(table: RawTable, opts: Omit<ParseOptions, 'file'> & { file?: string }): ParsedSeries {
  const format = opts.format ?? 'csv';
  const plan = planColumns(table.file, table.names, opts, format, table.notes);
  const b = new SeriesBuilder(plan, Math.max(1, table.rowCount));
  const cols = table.names.map((n) => table.columns.get(n)!);
  for (let r = 0; r < table.rowCount; r++) b.addRaw((c) => cols[c]![r], table.rowNumber(r));
  return finishSeries(b, opts, format);
}

/** Options for {@link importFile}: parsing plus where to store. */
export interface ImportOptions extends ParseOptions {
  dataDir: string;
  venue: VenueId;
  symbol: Symbol;
  /** Extra provenance sources (e.g. `repo @ commit : path`); the file path is always recorded. */
  sources?: string[];
  /** Extra provenance notes. */
  notes?: string[];
  method?: Provenance['method'];
  /** ISO time recorded as provenance.updatedAt (default now; the bundle passes a fixed date for determinism). */
  updatedAt?: string;
  /** Record the file path as given instead of resolved (the bundle records repo-relative paths). */
  sourceLabel?: string;
  /** A validation report of the parsed series already computed by the caller (see StoreSeriesOptions.validation). */
  validation?: ValidationReport;
}

/** Result of an import: parse statistics plus the store result. */
export interface ImportResult extends StoreSeriesResult {
  parsed: ParsedSeries;
}

/** Parse `opts.file` and merge it into the store (see {@link storeParsed}). */
export async function importFile(opts: ImportOptions): Promise<ImportResult> {
  try {
    parseSymbol(opts.symbol);
  } catch (e) {
    throw new UserError(`--symbol: ${(e as Error).message}`);
  }
  const parsed = await parseSeriesFile(opts);
  return storeParsed(parsed, opts);
}

/** Store a parsed series: merge without duplicates, atomic write, catalog update, provenance. */
export function storeParsed(parsed: ParsedSeries, opts: Omit<ImportOptions, 'kind'> & { kind?: SeriesKind }): ImportResult {
  if (parsed.series.ts.length === 0) throw new DataError(opts.file, 'no rows left to import (check --where / --from / --to)');
  const details: Record<string, string> = { format: parsed.format, mapping: JSON.stringify(parsed.mapping) };
  for (const k of ['tsUnit', 'tsFormat', 'timezone', 'rateUnit', 'order', 'intervalHours', 'valueColumn'] as const) {
    const v = opts[k];
    if (v !== undefined) details[k] = String(v);
  }
  if (opts.where) details['where'] = JSON.stringify(opts.where);
  const provenance: Provenance = {
    method: opts.method ?? 'import',
    sources: [...(opts.sources ?? []), opts.sourceLabel ?? resolve(opts.file)],
    notes: [...parsed.notes, ...(opts.notes ?? [])],
    details,
    updatedAt: opts.updatedAt ?? new Date().toISOString(),
  };
  const res = storeSeries(parsed.series, {
    dataDir: opts.dataDir,
    venue: opts.venue,
    symbol: opts.symbol,
    kind: parsed.kind,
    timeframe: parsed.timeframe,
    provenance,
    ...(opts.validation ? { validation: opts.validation } : {}),
  });
  return { ...res, parsed };
}
