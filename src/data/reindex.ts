/**
 * Rebuild `catalog.json` from the Arrow files themselves. Every file carries its venue, symbol,
 * kind, timeframe and provenance in the schema metadata, so the files are the source of truth and
 * the catalog is an index over them. This repairs the one state an interrupted write can leave:
 * a series file renamed into place whose catalog update did not happen yet.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DataError } from '../core/errors.js';
import { SERIES_KINDS, type SeriesKind } from '../core/ids.js';
import { describeStoredFile, readCatalog, writeCatalog, type Catalog, type Provenance } from './catalog.js';
import { readSeriesFile } from './store.js';

function arrowFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) arrowFiles(p, out);
    else if (name.endsWith('.arrow')) out.push(p);
  }
  return out;
}

/** What {@link reindexStore} changed. */
export interface ReindexResult {
  entries: number;
  /** Paths whose entry was added or rewritten because it did not match the file. */
  updated: string[];
  /** Catalog paths dropped because their file is gone. */
  removed: string[];
}

/** Recompute every catalog entry from the Arrow files under `dataDir` and write the catalog atomically. */
export function reindexStore(dataDir: string): ReindexResult {
  const old = readCatalog(dataDir);
  const byPath = new Map(old.entries.map((e) => [e.path, e]));
  const fresh: Catalog = { version: 1, entries: [] };
  const updated: string[] = [];
  for (const abs of arrowFiles(dataDir)) {
    const s = readSeriesFile(abs);
    const m = s.metadata;
    const kind = m['perpcarry.kind'] as SeriesKind | undefined;
    if (!m['perpcarry.venue'] || !m['perpcarry.symbol'] || !kind || !SERIES_KINDS.includes(kind)) {
      throw new DataError(abs, 'no perpcarry.venue/symbol/kind schema metadata; cannot index it');
    }
    let provenance: Provenance;
    try {
      provenance = JSON.parse(m['perpcarry.provenance'] ?? '') as Provenance;
    } catch {
      provenance = { method: 'import', sources: [], notes: ['provenance missing from the file metadata'], updatedAt: '' };
    }
    const entry = describeStoredFile(dataDir, abs, s, m['perpcarry.venue'], m['perpcarry.symbol'], kind, m['perpcarry.timeframe'], provenance);
    const prev = byPath.get(entry.path);
    if (!prev || JSON.stringify(prev) !== JSON.stringify(entry)) updated.push(entry.path);
    fresh.entries.push(entry);
  }
  const present = new Set(fresh.entries.map((e) => e.path));
  const removed = old.entries.map((e) => e.path).filter((p) => !present.has(p));
  writeCatalog(dataDir, fresh);
  return { entries: fresh.entries.length, updated, removed: removed.map((p) => relative('.', p)) };
}
