/**
 * Reading a stored series for a run, verified: the file must be the series its path and the
 * request name (schema metadata venue, symbol, kind, timeframe), have the column types and columns
 * of its kind, and hash to the sha256 the catalog recorded for it. Hashes and whole-file
 * validation are cached per file version (see file-state.ts), so a warm run pays for neither.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, UserError } from '../core/errors.js';
import { seriesRelPath, type SeriesKind, type Symbol, type VenueId } from '../core/ids.js';
import { readCatalog, sha256Hex, type Catalog } from './catalog.js';
import { knownState, recordVerified, versionOf } from './file-state.js';
import { KIND_COLUMNS } from './schema.js';
import { decodeSeries, type LoadedSeries, type ReadWindow } from './store.js';
import { readWindowFromFd } from './ipc-window.js';
import { validateSeries } from './validate.js';

/** The series a caller asks for. */
export interface SeriesRequest {
  venue: VenueId;
  symbol: Symbol;
  kind: SeriesKind;
  /** Bar timeframe; undefined for funding. */
  timeframe?: string;
}

/** A verified series: the window's columns plus what is known about the whole file. */
export interface VerifiedSeries extends LoadedSeries {
  path: string;
  /** sha256 of the file bytes, equal to the catalog's. */
  sha256: string;
  /** Whole-file validation error classes of this file version (0: clean, so windows need no check). */
  fileErrors: number;
}

const CURE = '`perpcarry data validate` shows what is wrong; `perpcarry data reindex` re-indexes the files as they are';

/** Open a stored file and take its version from the same descriptor (so bytes and version agree). */
function openWithVersion(abs: string): { fd: number; size: number; version: ReturnType<typeof versionOf> } {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(abs, code === 'ENOENT' ? 'file not found' : `cannot read (${(e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new DataError(abs, 'is a directory, expected an Arrow file');
    return { fd, size: st.size, version: versionOf(st) };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The whole file from an open descriptor. */
function readAll(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const k = readSync(fd, bytes, off, size - off, off);
    if (k === 0) break;
    off += k;
  }
  return off === size ? bytes : bytes.subarray(0, off);
}

/**
 * Load `req` from the store for `window`, verified against the catalog (read once by the caller
 * and passed in, or read here). Throws a DataError naming the file and what differs.
 *
 * A file version already verified (sha256 equal to the catalog's, validation verdict known) is
 * read window-only (ipc-window.ts: the window's slice of each column, nothing else); any other
 * file is read whole, hashed, decoded and validated once.
 */
export function loadVerifiedSeries(dataDir: string, req: SeriesRequest, window: ReadWindow = {}, catalog?: Catalog): VerifiedSeries {
  let rel: string;
  try {
    rel = seriesRelPath(req.venue, req.symbol, req.kind, req.timeframe);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const abs = join(dataDir, rel);
  const entry = (catalog ?? readCatalog(dataDir)).entries.find((e) => e.path === rel);
  const { fd, size, version } = openWithVersion(abs);
  let bytes: Buffer;
  let known: ReturnType<typeof knownState>;
  try {
    if (!entry) throw new DataError(abs, `not in the catalog ${join(dataDir, 'catalog.json')}, so it cannot be verified; ${CURE}`);
    known = knownState(dataDir, abs, version);
    if (known && known.sha256 === entry.sha256 && known.errors !== undefined) {
      const w = readWindowFromFd(fd, window);
      if (w) return checked(abs, w, req, known.sha256, known.errors);
    }
    bytes = readAll(fd, size);
  } finally {
    closeSync(fd);
  }
  const sha = known?.sha256 ?? sha256Hex(bytes);
  if (sha !== entry.sha256) {
    throw new DataError(abs, `file bytes differ from the catalog (sha256 ${sha.slice(0, 12)}… vs ${entry.sha256.slice(0, 12)}…): changed outside perpcarry or overwritten; ${CURE}`);
  }
  const s = decodeSeries(abs, bytes, window);
  checkIdentity(abs, s.metadata, req);
  checkColumns(abs, s, req);
  let fileErrors = known?.errors;
  if (fileErrors === undefined) {
    // First sight of this version: validate the whole file once and remember the verdict.
    const whole = window.fromMs === undefined && window.toMs === undefined ? s : decodeSeries(abs, bytes);
    const rep = validateSeries(whole, req.kind, req.timeframe);
    fileErrors = recordVerified(dataDir, abs, sha, rep).errors ?? rep.errors;
  }
  return { ...s, path: abs, sha256: sha, fileErrors };
}

/** Identity and columns checked, the window of a verified file version as a VerifiedSeries. */
function checked(abs: string, s: LoadedSeries, req: SeriesRequest, sha256: string, fileErrors: number): VerifiedSeries {
  checkIdentity(abs, s.metadata, req);
  checkColumns(abs, s, req);
  return { ...s, path: abs, sha256, fileErrors };
}

function checkColumns(abs: string, s: LoadedSeries, req: SeriesRequest): void {
  const missing = KIND_COLUMNS[req.kind].filter((c) => !s.columns[c]);
  if (missing.length) throw new DataError(abs, `missing column(s) ${missing.join(', ')} of kind ${req.kind}`);
}

/** The schema metadata must name the requested series: a file copied over another's path is caught here. */
export function checkIdentity(abs: string, meta: Record<string, string>, req: SeriesRequest): void {
  const want: [string, string | undefined][] = [
    ['venue', req.venue],
    ['symbol', req.symbol],
    ['kind', req.kind],
    ['timeframe', req.timeframe],
  ];
  const diffs = want
    .filter(([k, v]) => (meta[`perpcarry.${k}`] ?? undefined) !== v)
    .map(([k, v]) => `${k} ${meta[`perpcarry.${k}`] === undefined ? '(none)' : JSON.stringify(meta[`perpcarry.${k}`])} where ${v === undefined ? 'none' : JSON.stringify(v)} is expected`);
  if (diffs.length) throw new DataError(abs, `schema metadata does not match the series this path holds: ${diffs.join('; ')}; ${CURE}`);
}
