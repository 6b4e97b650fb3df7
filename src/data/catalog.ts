import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { cleanStaleTemps, mkdirDurable, writeFileAtomic } from '../core/fs.js';
import { stderrWait, withLock, type LockOptions } from '../core/lock.js';
import { DataError, UserError } from '../core/errors.js';
import type { SeriesKind, Symbol, VenueId } from '../core/ids.js';
import { SERIES_KINDS, seriesRelPath } from '../core/ids.js';
import { timeframeToMs, isoUtc } from '../core/time.js';
import { KIND_COLUMNS } from './schema.js';
import { barPhaseMs, describeBarPhase, validateSeries, type ValidationReport } from './validate.js';
import { readSeriesFile, mergeSeries, writeSeriesFile, type SeriesColumns, type SeriesMetadata, type WrittenFile } from './store.js';
import { recordVerified } from './file-state.js';

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

/** Read the catalog; an absent file is an empty catalog. A malformed one is a UserError naming the file and entry. */
export function readCatalog(dataDir: string): Catalog {
  const p = catalogPath(dataDir);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { version: 1, entries: [] };
    throw new UserError(`${p}: cannot read the catalog (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${p}: not valid JSON (${(e as Error).message}); \`perpcarry data reindex\` rebuilds it from the Arrow files`);
  }
  return checkCatalog(p, parsed);
}

/** Check the shape of a parsed catalog: every entry an object with the fields readers rely on. */
export function checkCatalog(p: string, parsed: unknown): Catalog {
  const cure = '`perpcarry data reindex` rebuilds it from the Arrow files';
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UserError(`${p}: expected a catalog object {"version": 1, "entries": [...]}, got ${JSON.stringify(parsed)?.slice(0, 40)}; ${cure}`);
  const cat = parsed as Partial<Catalog>;
  if (cat.version !== 1 || !Array.isArray(cat.entries)) throw new UserError(`${p}: unknown catalog format (need version 1 and an entries array); ${cure}`);
  cat.entries.forEach((e: unknown, i) => {
    const bad = (what: string): never => {
      throw new UserError(`${p}: entry ${i}${e && typeof e === 'object' && typeof (e as CatalogEntry).path === 'string' ? ` (${(e as CatalogEntry).path})` : ''}: ${what}; ${cure}`);
    };
    if (e === null || typeof e !== 'object' || Array.isArray(e)) bad(`not an object (${JSON.stringify(e)})`);
    const x = e as Record<string, unknown>;
    for (const k of ['path', 'venue', 'symbol', 'sha256'] as const) if (typeof x[k] !== 'string') bad(`"${k}" must be a string`);
    if (!SERIES_KINDS.includes(x['kind'] as SeriesKind)) bad(`"kind" must be one of ${SERIES_KINDS.join(', ')}`);
    for (const k of ['rows', 'bytes', 'gaps'] as const) if (typeof x[k] !== 'number') bad(`"${k}" must be a number`);
    for (const k of ['firstTs', 'lastTs'] as const) if (typeof x[k] !== 'number' && x[k] !== null) bad(`"${k}" must be a number`);
    const prov = x['provenance'] as Record<string, unknown> | null | undefined;
    if (prov === null || typeof prov !== 'object' || Array.isArray(prov)) bad('no provenance object');
    if (!Array.isArray(prov!['sources']) || typeof prov!['method'] !== 'string') bad('provenance needs "method" and a "sources" array');
  });
  return cat as Catalog;
}

/** Write the catalog atomically, entries sorted by path for stable diffs. Callers hold the catalog lock. */
export function writeCatalog(dataDir: string, catalog: Catalog): void {
  catalog.entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  writeFileAtomic(catalogPath(dataDir), JSON.stringify(catalog, null, 2) + '\n');
}

/** The lock file serializing catalog updates across processes. */
export function catalogLockPath(dataDir: string): string {
  return join(dataDir, '.catalog.lock');
}

/** The lock file of one series file: one writer per series at a time. */
export function seriesLockPath(absPath: string): string {
  return join(dirname(absPath), `.${basename(absPath)}.lock`);
}

/**
 * Update the catalog under its lock: re-read it (another process may have changed it since this
 * one last read), apply `mutate`, write it atomically. `replaceUnreadable` (reindex) starts from an
 * empty catalog when the stored one cannot be read. Concurrent writers of different series
 * therefore never lose each other's entries.
 */
export function updateCatalog(dataDir: string, mutate: (catalog: Catalog) => void, opts: LockOptions = {}, replaceUnreadable = false): Catalog {
  return withLock(catalogLockPath(dataDir), `the catalog ${catalogPath(dataDir)}`, () => {
    let fresh: Catalog;
    try {
      fresh = readCatalog(dataDir);
    } catch (e) {
      if (!replaceUnreadable) throw e;
      fresh = { version: 1, entries: [] };
    }
    mutate(fresh);
    writeCatalog(dataDir, fresh);
    return fresh;
  }, { onWait: stderrWait, ...opts });
}

/** Find the catalog entry of a series, or undefined. */
export function findEntry(catalog: Catalog, venue: VenueId, symbol: Symbol, kind: SeriesKind, timeframe?: string): CatalogEntry | undefined {
  const rel = seriesRelPath(venue, symbol, kind, timeframe);
  return catalog.entries.find((e) => e.path === rel);
}

/** sha256 of `bytes`, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writtenFileOf(bytes: Uint8Array): WrittenFile {
  return { bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
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
  /** Lock waiting options (default: wait up to 2 min, saying so on stderr). */
  lock?: LockOptions;
  /**
   * The caller's {@link validateSeries} report of `series` (the CLI validates before storing):
   * reused when nothing is merged, so a 10M-row import does not validate twice.
   */
  validation?: ValidationReport;
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
  return withLock(seriesLockPath(abs), `series ${rel}`, () => storeSeriesLocked(series, opts, rel, abs), { onWait: stderrWait, ...(opts.lock ?? {}) });
}

function storeSeriesLocked(series: SeriesColumns, opts: StoreSeriesOptions, rel: string, abs: string): StoreSeriesResult {
  const cols = KIND_COLUMNS[opts.kind];
  mkdirDurable(dirname(abs));
  cleanStaleTemps(dirname(abs));
  // Read under the series lock: a writer that finished a moment ago is seen, its rows kept.
  const old = readCatalog(opts.dataDir).entries.find((e) => e.path === rel);
  let merged = series;
  let added = series.ts.length;
  let replaced = 0;
  let unchanged = 0;
  let provenance = opts.provenance;
  if (opts.merge !== false && existsSync(abs)) {
    const existing = readSeriesFile(abs);
    checkStoredIdentity(abs, existing.metadata, opts);
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
    let oldProv: Provenance | undefined = old?.provenance;
    if (!oldProv) {
      try {
        oldProv = JSON.parse(existing.metadata['perpcarry.provenance'] ?? '') as Provenance;
      } catch {
        oldProv = undefined;
      }
    }
    if (oldProv && Array.isArray(oldProv.sources)) {
      provenance = {
        ...opts.provenance,
        sources: [...new Set([...oldProv.sources, ...opts.provenance.sources])],
        notes: [...new Set([...(oldProv.notes ?? []), ...(opts.provenance.notes ?? [])])],
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
  const written = writeSeriesFile(abs, merged, cols, metadata);
  const entry = describeStoredFile(opts.dataDir, abs, merged, opts.venue, opts.symbol, opts.kind, opts.timeframe, provenance, written);
  recordVerified(opts.dataDir, abs, entry.sha256, merged === series && opts.validation ? opts.validation : validateSeries(merged, opts.kind, opts.timeframe));
  updateCatalog(opts.dataDir, (fresh) => {
    fresh.entries = fresh.entries.filter((e) => e.path !== rel);
    fresh.entries.push(entry);
  }, opts.lock);
  return { entry, added, replaced, unchanged };
}

/** A stored file about to be merged into must be the series the path says (not a file copied over it). */
function checkStoredIdentity(abs: string, meta: SeriesMetadata, opts: StoreSeriesOptions): void {
  const want: Record<string, string | undefined> = {
    'perpcarry.venue': opts.venue,
    'perpcarry.symbol': opts.symbol,
    'perpcarry.kind': opts.kind,
    'perpcarry.timeframe': opts.timeframe,
  };
  const diffs = Object.entries(want).filter(([k, v]) => meta[k] !== v).map(([k, v]) => `${k.slice(10)} ${JSON.stringify(meta[k] ?? null)} where the path says ${JSON.stringify(v ?? null)}`);
  if (diffs.length) throw new DataError(abs, `the stored file is not the series its path names (${diffs.join('; ')}); refusing to merge into it. Move it away or run \`perpcarry data reindex\``);
}

/** Build the catalog entry of a file already written (`written`: its size and sha256 as written; else the file is read and hashed). */
export function describeStoredFile(
  dataDir: string,
  absPath: string,
  series: SeriesColumns,
  venue: VenueId,
  symbol: Symbol,
  kind: SeriesKind,
  timeframe: string | undefined,
  provenance: Provenance,
  written?: WrittenFile,
): CatalogEntry {
  const file = written ?? writtenFileOf(readFileSync(absPath));
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
    sha256: file.sha256,
    bytes: file.bytes,
    provenance,
  };
  if (timeframe) entry.timeframe = timeframe;
  return entry;
}
