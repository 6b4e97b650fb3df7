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
import { fdReader, openWindow, type ReadAt, type WindowColumns } from './ipc-window.js';
import { validateSeries } from './validate.js';

/** The series a caller asks for. */
export interface SeriesRequest {
  venue: VenueId;
  symbol: Symbol;
  kind: SeriesKind;
  /** Bar timeframe; undefined for funding. */
  timeframe?: string;
}

/**
 * A verified series: the window's columns plus what is known about the whole file.
 *
 * `ts` is read; the value columns of a window of an already verified file version are read on
 * first access (`columns` holds one getter per column of the file), from the descriptor opened
 * and version-checked at load, so a column read later comes from the same verified bytes (see
 * {@link lazyColumns}). Code that only needs to know whether a column exists uses
 * {@link hasColumn}, which reads nothing.
 */
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

/** Options of {@link loadVerifiedSeries}. */
export interface LoadVerifiedOptions {
  /**
   * Time columns this load already holds: a window whose `ts` equals one of them bit for bit
   * shares that array (see ipc-window.ts openWindow).
   */
  tsCandidates?: readonly Float64Array[];
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
export function loadVerifiedSeries(dataDir: string, req: SeriesRequest, window: ReadWindow = {}, catalog?: Catalog, opts: LoadVerifiedOptions = {}): VerifiedSeries {
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
  let handedOver = false;
  try {
    if (!entry) throw new DataError(abs, `not in the catalog ${join(dataDir, 'catalog.json')}, so it cannot be verified; ${CURE}`);
    known = knownState(dataDir, abs, version);
    if (known && known.sha256 === entry.sha256 && known.errors !== undefined) {
      const w = openWindow(fd, window, { tsCandidates: opts.tsCandidates });
      if (w) {
        checkIdentity(abs, w.metadata, req);
        checkColumns(abs, w.names, req);
        // From here the lazy columns own the descriptor (and close it).
        handedOver = true;
        const columns = lazyColumns(abs, fd, version, known.sha256, w);
        return { ts: w.ts, columns, metadata: w.metadata, fileRows: w.fileRows, path: abs, sha256: known.sha256, fileErrors: known.errors };
      }
    }
    bytes = readAll(fd, size);
  } finally {
    if (!handedOver) closeSync(fd);
  }
  const sha = known?.sha256 ?? sha256Hex(bytes);
  if (sha !== entry.sha256) {
    throw new DataError(abs, `file bytes differ from the catalog (sha256 ${sha.slice(0, 12)}… vs ${entry.sha256.slice(0, 12)}…): changed outside perpcarry or overwritten; ${CURE}`);
  }
  const s = decodeSeries(abs, bytes, window);
  checkIdentity(abs, s.metadata, req);
  checkColumns(abs, Object.keys(s.columns), req);
  let fileErrors = known?.errors;
  if (fileErrors === undefined) {
    // First sight of this version: validate the whole file once and remember the verdict.
    const whole = window.fromMs === undefined && window.toMs === undefined ? s : decodeSeries(abs, bytes);
    const rep = validateSeries(whole, req.kind, req.timeframe);
    fileErrors = recordVerified(dataDir, abs, sha, rep).errors ?? rep.errors;
  }
  return { ...s, path: abs, sha256: sha, fileErrors };
}

function checkColumns(abs: string, names: readonly string[], req: SeriesRequest): void {
  const missing = KIND_COLUMNS[req.kind].filter((c) => !names.includes(c));
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

/** Whether `columns` has column `name`, without reading it (columns may be lazy: {@link VerifiedSeries}). */
export function hasColumn(columns: Record<string, Float64Array>, name: string): boolean {
  const d = Object.getOwnPropertyDescriptor(columns, name);
  return d !== undefined && (d.get !== undefined || d.value !== undefined);
}

/** The descriptor of a window read lazily: open until its last column is read or its columns are garbage. */
interface OpenFile {
  fd: number;
  open: boolean;
}

/**
 * Lazy windows holding a descriptor, oldest first. A process that loads many markets and reads
 * few of their columns (an API user running backtest after backtest) would otherwise hold
 * descriptors until the garbage collector finds the windows; past {@link heldLimit} the oldest
 * lets go of its own and finds its file by path again when asked (see {@link lazyColumns}).
 */
const holding = new Set<OpenFile>();
let heldLimit = 64;

/** Set how many lazy windows may hold a descriptor at once (tests); returns the previous limit. */
export function setLazyDescriptorLimit(n: number): number {
  const prev = heldLimit;
  heldLimit = Math.max(1, Math.floor(n));
  return prev;
}

function hold(f: OpenFile): void {
  holding.add(f);
  for (const oldest of holding) {
    if (holding.size <= heldLimit) break;
    closeFile(oldest);
  }
}

function closeFile(f: OpenFile): void {
  if (!f.open) return;
  f.open = false;
  holding.delete(f);
  try {
    closeSync(f.fd);
  } catch {
    // already gone: nothing to release
  }
}

/** Closes the descriptor of a lazy window whose columns became unreachable before all were read. */
const openFiles = new FinalizationRegistry<OpenFile>(closeFile);

/**
 * The value columns of window `w` of the verified file version `version` of `abs`, each read on
 * first access. The store replaces a file by rename, so the open descriptor keeps reading the
 * verified inode whatever happens at the path. Before each read the descriptor's version (size,
 * mtime, inode) is compared with the verified one: an in-place write changes it, and then the
 * whole file is read through the descriptor and hashed once more — equal to the verified sha256
 * (a `touch`), the remaining columns come from those bytes; different, the read throws a
 * DataError naming the file and the run stops. A window that let go of its descriptor (see
 * {@link holding}) opens the path again and applies the same test to what it finds there. A
 * column is never served from bytes that were not verified.
 */
function lazyColumns(abs: string, fd: number, version: ReturnType<typeof versionOf>, sha256: string, w: WindowColumns): Record<string, Float64Array> {
  const file: OpenFile = { fd, open: true };
  let read: ReadAt | null = null;
  let unread = w.names.length;
  if (unread === 0) closeFile(file);
  else hold(file);
  const verifiedReader = (): ReadAt => {
    if (read) return read;
    const reopened = !file.open;
    if (reopened) {
      try {
        file.fd = openSync(abs, 'r');
      } catch (e) {
        throw new DataError(abs, `no longer readable since the load (${(e as Error).message}); ${CURE}`);
      }
      file.open = true;
      hold(file);
    }
    const now = versionOf(fstatSync(file.fd));
    if (now.bytes === version.bytes && now.mtimeMs === version.mtimeMs && now.ino === version.ino) return fdReader(file.fd);
    const bytes = readAll(file.fd, now.bytes);
    const sha = sha256Hex(bytes);
    if (sha !== sha256) {
      const shas = `sha256 now ${sha.slice(0, 12)}…, verified ${sha256.slice(0, 12)}… at load`;
      throw new DataError(
        abs,
        reopened
          ? `replaced or changed since the load (${shas}), and this market had let go of its descriptor (more than ${heldLimit} lazily read windows open): load the market again`
          : `changed in place while this run was reading it (${shas}); the store replaces files by rename, so something else wrote into it; ${CURE}`,
      );
    }
    read = (dst, position) => {
      if (position + dst.byteLength > bytes.byteLength) return false;
      dst.set(bytes.subarray(position, position + dst.byteLength));
      return true;
    };
    return read;
  };
  const columns: Record<string, Float64Array> = {};
  const loaded = new Map<string, Float64Array>();
  for (const name of w.names) {
    let col: Float64Array | null = null;
    Object.defineProperty(columns, name, {
      enumerable: true,
      get(): Float64Array {
        if (col) return col;
        col = w.readColumn(name, verifiedReader());
        if (!col) throw new DataError(abs, `column "${name}" could not be read (short read)`, undefined, name);
        loaded.set(name, col);
        if (--unread === 0) {
          closeFile(file);
          openFiles.unregister(file);
        }
        return col;
      },
    });
  }
  if (unread > 0) openFiles.register(columns, file, file);
  valueReaders.set(columns, (name, row) => {
    const col = loaded.get(name);
    if (col) return col[row];
    return w.readValue(name, row, verifiedReader());
  });
  return Object.freeze(columns);
}

/** Single-value readers of lazy column sets (see {@link columnValue}). */
const valueReaders = new WeakMap<Record<string, Float64Array>, (name: string, row: number) => number | undefined>();

/**
 * Row `row` of column `name` of `columns` without reading the whole column when it is still
 * unread (lazy columns of a verified window: one 8-byte read from the same verified file, with
 * the same version check as a column read); otherwise `columns[name][row]`. Undefined for a row
 * outside the window or a column that does not exist.
 */
export function columnValue(columns: Record<string, Float64Array>, name: string, row: number): number | undefined {
  const one = valueReaders.get(columns);
  return one ? one(name, row) : columns[name]?.[row];
}
