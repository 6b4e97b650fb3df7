import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../core/fs.js';
import { DataError, UserError } from '../core/errors.js';
import type { SeriesKind, Symbol, VenueId } from '../core/ids.js';
import { seriesRelPath } from '../core/ids.js';
import { timeframeToMs, isoUtc } from '../core/time.js';
import { KIND_COLUMNS } from './schema.js';
import { barPhaseMs, describeBarPhase } from './validate.js';
import { readSeriesFile, writeSeriesFile, mergeSeries, type SeriesColumns, type SeriesMetadata } from './store.js';

/** Where a series came from. Stored both in the catalog and in the Arrow schema metadata. */
export interface Provenance {
  /** `import` (file import), `fetch` (ccxt), or `bundle` (scripts/build-data.ts). */
  method: 'import' | 'fetch' | 'bundle';
  /** Source files or exchange endpoints, with origin notes (e.g. repo @ commit : path). */
  sources: string[];
  /** Free-form notes: quirks handled, transformations applied. */
  notes?: string[];
  /** Extra string facts: exchange, ccxt version, params, fetched-at, importer options. */
  details?: Record<string, string>;
  /** ISO time the file was (re)written. */
  updatedAt: string;
}

/** One catalog row: a single Arrow file in the store. */
export interface CatalogEntry {
  /** Path relative to the data directory, POSIX separators. */
  path: string;
  venue: VenueId;
  symbol: Symbol;
  kind: SeriesKind;
  /** Bar timeframe (`1m`, `1h`…); undefined for funding. */
  timeframe?: string;
  firstTs: number;
  lastTs: number;
  firstIso: string;
  lastIso: string;
  rows: number;
  /** Missing bars (bar kinds) or missing settlements vs the prevailing interval (funding). */
  gaps: number;
  /** sha256 of the file bytes, hex. */
  sha256: string;
  bytes: number;
  provenance: Provenance;
}

/** The catalog file `data/catalog.json`. */
export interface Catalog {
  version: 1;
  entries: CatalogEntry[];
}

/** Default data directory: `<repo>/data`, overridable with PERPCARRY_DATA_DIR. */
export function defaultDataDir(): string {
  return process.env.PERPCARRY_DATA_DIR ?? join(process.cwd(), 'data');
}

export function catalogPath(dataDir: string): string {
  return join(dataDir, 'catalog.json');
}

/** Read the catalog; an absent file is an empty catalog. */
export function readCatalog(dataDir: string): Catalog {
  const p = catalogPath(dataDir);
  if (!existsSync(p)) return { version: 1, entries: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new UserError(`${p}: not valid JSON (${(e as Error).message})`);
  }
  const cat = parsed as Catalog;
  if (cat.version !== 1 || !Array.isArray(cat.entries)) throw new UserError(`${p}: unknown catalog format`);
  return cat;
}

/** Write the catalog atomically, entries sorted by path for stable diffs. */
export function writeCatalog(dataDir: string, catalog: Catalog): void {
  catalog.entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  writeFileAtomic(catalogPath(dataDir), JSON.stringify(catalog, null, 2) + '\n');
}

/** Find the catalog entry of a series, or undefined. */
export function findEntry(catalog: Catalog, venue: VenueId, symbol: Symbol, kind: SeriesKind, timeframe?: string): CatalogEntry | undefined {
  const rel = seriesRelPath(venue, symbol, kind, timeframe);
  return catalog.entries.find((e) => e.path === rel);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Count gaps: for bar kinds, missing bars (Σ (Δts / timeframe − 1) over steps longer than one bar);
 * for funding, steps longer than the row's own interval (each counts the missing settlements).
 */
export function countGaps(series: SeriesColumns, kind: SeriesKind, timeframe?: string): number {
  const ts = series.ts;
  let gaps = 0;
  if (kind === 'funding') {
    const iv = series.columns['interval_hours'];
    for (let i = 1; i < ts.length; i++) {
      const stepMs = (iv && Number.isFinite(iv[i]!) ? iv[i]! : 8) * 3_600_000;
      const missing = Math.round((ts[i]! - ts[i - 1]!) / stepMs) - 1;
      if (missing > 0) gaps += missing;
    }
    return gaps;
  }
  const tf = timeframeToMs(timeframe!);
  for (let i = 1; i < ts.length; i++) {
    const missing = Math.round((ts[i]! - ts[i - 1]!) / tf) - 1;
    if (missing > 0) gaps += missing;
  }
  return gaps;
}

/** Options for {@link storeSeries}. */
export interface StoreSeriesOptions {
  dataDir: string;
  venue: VenueId;
  symbol: Symbol;
  kind: SeriesKind;
  timeframe?: string;
  provenance: Provenance;
  /** Merge with the file already stored (default true); false replaces it. */
  merge?: boolean;
}

/** Result of {@link storeSeries}. */
export interface StoreSeriesResult {
  entry: CatalogEntry;
  added: number;
  replaced: number;
  unchanged: number;
}

/**
 * Store a clean (sorted, strictly increasing ts) series: merge it into the existing file without
 * duplicates, write the Arrow file atomically with provenance in its schema metadata, then update
 * the catalog atomically. Provenance sources accumulate across merges.
 */
export function storeSeries(series: SeriesColumns, opts: StoreSeriesOptions): StoreSeriesResult {
  const rel = seriesRelPath(opts.venue, opts.symbol, opts.kind, opts.timeframe);
  const abs = join(opts.dataDir, rel);
  const cols = KIND_COLUMNS[opts.kind];
  const catalog = readCatalog(opts.dataDir);
  const old = catalog.entries.find((e) => e.path === rel);
  let merged = series;
  let added = series.ts.length;
  let replaced = 0;
  let unchanged = 0;
  let provenance = opts.provenance;
  if (opts.merge !== false && existsSync(abs)) {
    const existing = readSeriesFile(abs);
    if (opts.timeframe && existing.ts.length > 0 && series.ts.length > 0) {
      // One phase per bar series: bars at 04/12/20 UTC do not merge into a file of 00/08/16 bars.
      const tf = timeframeToMs(opts.timeframe);
      const a = barPhaseMs(existing.ts[0]!, tf);
      const b = barPhaseMs(series.ts[0]!, tf);
      if (a !== b) {
        throw new DataError(abs, `cannot merge: the stored bars say "${describeBarPhase(opts.timeframe, a)}", the new bars "${describeBarPhase(opts.timeframe, b)}" (a bar series keeps one phase)`);
      }
    }
    const m = mergeSeries(existing, series, cols);
    merged = m.merged;
    added = m.added;
    replaced = m.replaced;
    unchanged = m.unchanged;
    if (old) {
      provenance = {
        ...opts.provenance,
        sources: [...new Set([...old.provenance.sources, ...opts.provenance.sources])],
        notes: [...new Set([...(old.provenance.notes ?? []), ...(opts.provenance.notes ?? [])])],
      };
    }
  }
  const metadata: SeriesMetadata = {
    'perpcarry.venue': opts.venue,
    'perpcarry.symbol': opts.symbol,
    'perpcarry.kind': opts.kind,
    'perpcarry.provenance': JSON.stringify(provenance),
  };
  if (opts.timeframe) metadata['perpcarry.timeframe'] = opts.timeframe;
  writeSeriesFile(abs, merged, cols, metadata);
  const entry = describeStoredFile(opts.dataDir, abs, merged, opts.venue, opts.symbol, opts.kind, opts.timeframe, provenance);
  const fresh = readCatalog(opts.dataDir);
  fresh.entries = fresh.entries.filter((e) => e.path !== rel);
  fresh.entries.push(entry);
  writeCatalog(opts.dataDir, fresh);
  return { entry, added, replaced, unchanged };
}

/** Build the catalog entry of a file already written. */
export function describeStoredFile(
  dataDir: string,
  absPath: string,
  series: SeriesColumns,
  venue: VenueId,
  symbol: Symbol,
  kind: SeriesKind,
  timeframe: string | undefined,
  provenance: Provenance,
): CatalogEntry {
  const bytes = readFileSync(absPath);
  const n = series.ts.length;
  const firstTs = n > 0 ? series.ts[0]! : NaN;
  const lastTs = n > 0 ? series.ts[n - 1]! : NaN;
  const entry: CatalogEntry = {
    path: relative(dataDir, absPath).split('\\').join('/'),
    venue,
    symbol,
    kind,
    firstTs,
    lastTs,
    firstIso: n > 0 ? isoUtc(firstTs) : '',
    lastIso: n > 0 ? isoUtc(lastTs) : '',
    rows: n,
    gaps: countGaps(series, kind, timeframe),
    sha256: sha256Hex(bytes),
    bytes: bytes.byteLength,
    provenance,
  };
  if (timeframe) entry.timeframe = timeframe;
  return entry;
}
