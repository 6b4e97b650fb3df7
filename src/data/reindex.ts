/**
 * Rebuild `catalog.json` from the Arrow files themselves. Every file carries its venue, symbol,
 * kind, timeframe and provenance in the schema metadata, so the files are the source of truth and
 * the catalog is an index over them. This repairs the one state an interrupted write can leave
 * (a series file renamed into place whose catalog update did not happen yet) and a catalog that
 * is unreadable altogether. A file that cannot be read, or whose metadata contradicts the path it
 * sits at (BTC's bars copied over ETH's, a funding file at an ohlcv path), is skipped and listed:
 * indexing it would make the catalog vouch for the wrong data.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../core/errors.js';
import { SERIES_KINDS, seriesRelPath, type SeriesKind } from '../core/ids.js';
import { catalogPath, describeStoredFile, readCatalog, updateCatalog, type Catalog, type CatalogEntry, type Provenance } from './catalog.js';
import { recordVerified } from './file-state.js';
import { KIND_COLUMNS } from './schema.js';
import { readSeriesFile } from './store.js';
import { validateSeries } from './validate.js';

/** Arrow files under `dir` (dot-entries skipped; symlinks not followed, so a loop cannot hang it). */
function arrowFiles(dir: string, out: string[], skipped: { path: string; reason: string }[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    skipped.push({ path: dir, reason: `cannot list (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    return out;
  }
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      skipped.push({ path: p, reason: `cannot stat (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      continue;
    }
    if (st.isSymbolicLink()) {
      if (name.endsWith('.arrow') || !name.includes('.')) skipped.push({ path: p, reason: 'symbolic link (not followed)' });
    } else if (st.isDirectory()) arrowFiles(p, out, skipped);
    else if (name.endsWith('.arrow')) out.push(p);
  }
  return out;
}

/** What {@link reindexStore} changed. */
export interface ReindexResult {
  entries: number;
  /** Paths whose entry was added or rewritten because it did not match the file. */
  updated: string[];
  /** Catalog paths dropped because their file is gone or was skipped. */
  removed: string[];
  /** Files not indexed, with the reason (unreadable, metadata contradicting the path…). */
  skipped: { path: string; reason: string }[];
  /** Set when the old catalog could not be read (it is rebuilt from the files regardless). */
  catalogProblem?: string;
}

/** Index one file, or say why not. */
function indexFile(dataDir: string, abs: string): CatalogEntry | string {
  let s;
  try {
    s = readSeriesFile(abs);
  } catch (e) {
    return (e as Error).message.replace(`${abs}: `, '');
  }
  const m = s.metadata;
  const kind = m['perpcarry.kind'] as SeriesKind | undefined;
  const venue = m['perpcarry.venue'];
  const symbol = m['perpcarry.symbol'];
  if (!venue || !symbol || !kind || !SERIES_KINDS.includes(kind)) return 'no perpcarry.venue/symbol/kind schema metadata';
  const timeframe = m['perpcarry.timeframe'];
  let expected: string;
  try {
    expected = seriesRelPath(venue, symbol, kind, kind === 'funding' ? undefined : timeframe);
  } catch (e) {
    return `metadata does not name a valid series (${(e as Error).message})`;
  }
  const rel = relative(dataDir, abs).split('\\').join('/');
  if (expected !== rel) return `its metadata says ${venue} ${symbol} ${kind}${timeframe ? ' ' + timeframe : ''}, which belongs at ${expected}, not here (copied or moved?)`;
  const missing = KIND_COLUMNS[kind].filter((c) => !s.columns[c]);
  if (missing.length) return `missing column(s) ${missing.join(', ')} of kind ${kind}`;
  let provenance: Provenance;
  try {
    provenance = JSON.parse(m['perpcarry.provenance'] ?? '') as Provenance;
    if (!provenance || typeof provenance !== 'object' || !Array.isArray(provenance.sources)) throw new Error('not a provenance object');
  } catch {
    provenance = { method: 'import', sources: [], notes: ['provenance missing from the file metadata'], updatedAt: '' };
  }
  const entry = describeStoredFile(dataDir, abs, s, venue, symbol, kind, kind === 'funding' ? undefined : timeframe, provenance);
  recordVerified(dataDir, abs, entry.sha256, validateSeries(s, kind, kind === 'funding' ? undefined : timeframe));
  return entry;
}

/** Recompute every catalog entry from the Arrow files under `dataDir` and write the catalog atomically (under the catalog lock). */
export function reindexStore(dataDir: string): ReindexResult {
  let old: Catalog = { version: 1, entries: [] };
  let catalogProblem: string | undefined;
  try {
    old = readCatalog(dataDir);
  } catch (e) {
    catalogProblem = (e as Error).message;
  }
  const byPath = new Map(old.entries.map((e) => [e.path, e]));
  const fresh: CatalogEntry[] = [];
  const updated: string[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const abs of arrowFiles(dataDir, [], skipped)) {
    const r = indexFile(dataDir, abs);
    if (typeof r === 'string') {
      skipped.push({ path: relative(dataDir, abs).split('\\').join('/'), reason: r });
      continue;
    }
    const prev = byPath.get(r.path);
    if (!prev || JSON.stringify(prev) !== JSON.stringify(r)) updated.push(r.path);
    fresh.push(r);
  }
  const present = new Set(fresh.map((e) => e.path));
  const removed = old.entries.map((e) => e.path).filter((p) => !present.has(p));
  try {
    // Lenient under the lock too: the point is to replace an unreadable catalog.
    updateCatalogLenient(dataDir, fresh);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC'].includes(code)) throw new UserError(`cannot write ${catalogPath(dataDir)}: ${(e as Error).message}`);
    throw e;
  }
  const res: ReindexResult = { entries: fresh.length, updated, removed, skipped };
  if (catalogProblem) res.catalogProblem = catalogProblem;
  return res;
}

function updateCatalogLenient(dataDir: string, entries: CatalogEntry[]): void {
  updateCatalog(dataDir, (c) => {
    c.entries = entries;
  }, {}, true);
}
