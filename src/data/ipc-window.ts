/**
 * Read a window of rows of a stored series straight from its Arrow IPC file: the footer, the
 * record batch's metadata, two binary searches over `ts` (a few 8-byte reads), then the window's
 * slice of `ts` and, on request, of each value column, each into its own Float64Array
 * ({@link openWindow}: a run reads only the columns it uses, when it first uses them; fresh memory
 * costs ~2.8 ms per MB on the 2-core VM, so untouched columns are the saving). A one-year window
 * of a ten-year file reads a tenth of it, and nothing is read twice or copied: `ts` is converted
 * from int64 to float64 in place, or, when it equals a time column already loaded, not kept at all.
 *
 * Only for files whose bytes are already verified (the catalog's sha256 was checked for this file
 * version: see verified.ts). Handles the layout this store writes — one record batch, an int64
 * `ts` without nulls and float64 columns, uncompressed, no dictionaries; anything else returns
 * null and the caller reads the whole file with apache-arrow (which also reports what is wrong).
 * Flatbuffer layout: see flatbuf.ts; Arrow file layout: "ARROW1", messages, footer, int32 footer
 * length, "ARROW1" (https://arrow.apache.org/docs/format/Columnar.html#ipc-file-format).
 */
import { fstatSync, readSync } from 'node:fs';
import type { LoadedSeries, ReadWindow, SeriesMetadata } from './store.js';

/** Little reader over a flatbuffer held in `dv`. */
class Fb {
  constructor(readonly dv: DataView) {}
  u8(p: number): number {
    return this.dv.getUint8(p);
  }
  i16(p: number): number {
    return this.dv.getInt16(p, true);
  }
  i32(p: number): number {
    return this.dv.getInt32(p, true);
  }
  u32(p: number): number {
    return this.dv.getUint32(p, true);
  }
  i64(p: number): number {
    return this.dv.getInt32(p + 4, true) * 4294967296 + this.dv.getUint32(p, true);
  }
  /** Position of field `slot` of the table at `t`, or 0 when absent. */
  field(t: number, slot: number): number {
    const vt = t - this.i32(t);
    const vtBytes = this.dv.getUint16(vt, true);
    const o = 4 + 2 * slot < vtBytes ? this.dv.getUint16(vt + 4 + 2 * slot, true) : 0;
    return o === 0 ? 0 : t + o;
  }
  /** Target of the reference stored in field `slot` (a table, vector or string), or 0. */
  ref(t: number, slot: number): number {
    const p = this.field(t, slot);
    return p === 0 ? 0 : p + this.u32(p);
  }
  /** Element positions of a vector of tables at `v`. */
  tables(v: number): number[] {
    if (v === 0) return [];
    const n = this.u32(v);
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const slot = v + 4 + 4 * k;
      out.push(slot + this.u32(slot));
    }
    return out;
  }
  str(s: number): string {
    if (s === 0) return '';
    const n = this.u32(s);
    return new TextDecoder().decode(new Uint8Array(this.dv.buffer, this.dv.byteOffset + s + 4, n));
  }
}

function readAt(fd: number, bytes: Uint8Array, position: number): boolean {
  let off = 0;
  while (off < bytes.byteLength) {
    const k = readSync(fd, bytes, off, bytes.byteLength - off, position + off);
    if (k === 0) return false;
    off += k;
  }
  return true;
}

function flatbufferAt(fd: number, position: number, length: number): Fb | null {
  const b = new Uint8Array(length);
  return readAt(fd, b, position) ? new Fb(new DataView(b.buffer)) : null;
}

/** Type tags (Schema.fbs Type union) and FloatingPoint precision DOUBLE. */
const TYPE_INT = 2;
const TYPE_FLOATING_POINT = 3;
const DOUBLE = 2;
/** MessageHeader.RecordBatch (Message.fbs). */
const HEADER_RECORD_BATCH = 3;

interface ColumnPlan {
  name: string;
  /** Validity bitmap and values: byte offsets in the file, byte lengths. */
  validityAt: number;
  validityBytes: number;
  valuesAt: number;
  valuesBytes: number;
  nulls: number;
}

/**
 * Reads `bytes.byteLength` bytes at file position `position` into `bytes`; false on a short read.
 * A window's value columns are read through one of these (the open descriptor, or the bytes of
 * the file once they were re-hashed: see verified.ts).
 */
export type ReadAt = (bytes: Uint8Array, position: number) => boolean;

/** {@link ReadAt} over an open descriptor. */
export function fdReader(fd: number): ReadAt {
  return (bytes, position) => readAt(fd, bytes, position);
}

/**
 * A window of an Arrow file whose `ts` is read and whose value columns are read on request: a
 * run that never looks at a column (a mark series' open, a spot series' high and low) never
 * touches its bytes, and fresh memory is what a load pays for (~2.8 ms per MB on the 2-core VM).
 */
export interface WindowColumns {
  /** Bar or settlement times of the window's rows, UnixMs. */
  ts: Float64Array;
  metadata: SeriesMetadata;
  /** Rows in the whole file. */
  fileRows: number;
  /** Value columns of the file (not `ts`), in file order. */
  names: readonly string[];
  /**
   * The window's rows of column `name` (NaN for nulls) read through `read` from the file
   * positions of this file's layout, or null on a short read. Each call reads afresh.
   */
  readColumn(name: string, read: ReadAt): Float64Array | null;
  /**
   * Row `row` of the window (0-based) of column `name` read alone through `read` (NaN for a null),
   * or undefined on a short read, an unknown column or a row outside the window.
   */
  readValue(name: string, row: number, read: ReadAt): number | undefined;
}

/** Options of {@link openWindow}. */
export interface OpenWindowOptions {
  /**
   * Time columns loaded earlier (another series of the same run): when the window's `ts` is
   * bit-for-bit one of them — compared in 64 KB chunks read from the file, so a mismatch costs
   * no fresh memory — that array is returned instead of a new copy.
   */
  tsCandidates?: readonly Float64Array[];
}

/**
 * The window [fromMs, toMs) of the open file `fd` (see {@link ReadWindow}) with only `ts` read, or
 * null when the file is not in the layout described above.
 */
export function openWindow(fd: number, window: ReadWindow = {}, opts: OpenWindowOptions = {}): WindowColumns | null {
  const layout = readLayout(fd);
  if (!layout) return null;
  const { n, plans, metadata } = layout;
  // Window rows by binary search over ts, reading one int64 per probe.
  const tsPlan = plans[0]!;
  const probe = new Uint8Array(8);
  const probeDv = new DataView(probe.buffer);
  const tsAt = (i: number): number => {
    if (!readAt(fd, probe, tsPlan.valuesAt + 8 * i)) throw new Error('short read');
    return probeDv.getInt32(4, true) * 4294967296 + probeDv.getUint32(0, true);
  };
  const lowerBound = (t: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tsAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let from: number;
  let to: number;
  try {
    from = window.fromMs === undefined ? 0 : lowerBound(window.fromMs);
    to = window.toMs === undefined ? n : lowerBound(window.toMs);
  } catch {
    return null;
  }
  const lo = Math.min(from, to);
  const len = to - lo;
  const tsAtFile = tsPlan.valuesAt + 8 * lo;
  let ts = len > 0 ? sharedTs(fd, tsAtFile, len, opts.tsCandidates ?? [], tsAt(lo), tsAt(lo + len - 1)) : null;
  if (!ts) {
    ts = new Float64Array(len);
    if (!readAt(fd, new Uint8Array(ts.buffer), tsAtFile)) return null;
    int64ToFloat64InPlace(ts);
  }
  const byName = new Map(plans.slice(1).map((p) => [p.name, p]));
  return {
    ts,
    metadata,
    fileRows: n,
    names: [...byName.keys()],
    readColumn(name, read) {
      const p = byName.get(name);
      if (!p) return null;
      const col = new Float64Array(len);
      if (!read(new Uint8Array(col.buffer), p.valuesAt + 8 * lo)) return null;
      if (p.nulls > 0 && p.validityBytes > 0 && len > 0 && !applyNulls(read, p, lo, col)) return null;
      return col;
    },
    readValue(name, row, read) {
      const p = byName.get(name);
      if (!p || !(row >= 0 && row < len)) return undefined;
      const at = lo + row;
      const v = new Float64Array(1);
      if (!read(new Uint8Array(v.buffer), p.valuesAt + 8 * at)) return undefined;
      if (p.nulls > 0 && p.validityBytes > 0) {
        const bits = new Uint8Array(1);
        if ((at >> 3) >= p.validityBytes || !read(bits, p.validityAt + (at >> 3))) return undefined;
        if ((bits[0]! & (1 << (at & 7))) === 0) return NaN;
      }
      return v[0]!;
    },
  };
}

/**
 * Rows of the open file `fd` with ts in [fromMs, toMs) (see {@link ReadWindow}), every column
 * read, or null when the file is not in the layout described above.
 */
export function readWindowFromFd(fd: number, window: ReadWindow = {}): LoadedSeries | null {
  const w = openWindow(fd, window);
  if (!w) return null;
  const read = fdReader(fd);
  const columns: Record<string, Float64Array> = {};
  for (const name of w.names) {
    const col = w.readColumn(name, read);
    if (!col) return null;
    columns[name] = col;
  }
  return { ts: w.ts, columns, metadata: w.metadata, fileRows: w.fileRows };
}

/** The file's single record batch: row count, where each column's buffers are, schema metadata. */
function readLayout(fd: number): { n: number; plans: ColumnPlan[]; metadata: SeriesMetadata } | null {
  const size = fstatSync(fd).size;
  if (size < 18) return null;
  const tail = new Uint8Array(10);
  if (!readAt(fd, tail, size - 10)) return null;
  if (new TextDecoder().decode(tail.subarray(4)) !== 'ARROW1') return null;
  const footerLen = new DataView(tail.buffer).getInt32(0, true);
  if (footerLen <= 0 || footerLen > size - 18) return null;
  const f = flatbufferAt(fd, size - 10 - footerLen, footerLen);
  if (!f) return null;
  const footer = f.u32(0);
  const schema = f.ref(footer, 1);
  if (schema === 0 || (f.field(schema, 0) !== 0 && f.i16(f.field(schema, 0)) !== 0)) return null; // big-endian
  if (f.ref(footer, 2) !== 0 && f.u32(f.ref(footer, 2)) !== 0) return null; // dictionaries
  const batches = f.ref(footer, 3);
  if (batches === 0 || f.u32(batches) !== 1) return null;
  const block = batches + 4;
  const blockAt = f.i64(block);
  const metaBytes = f.i32(block + 8);
  // Fields: ts int64 first, then float64 columns.
  const names: string[] = [];
  const fields = f.tables(f.ref(schema, 1));
  for (let k = 0; k < fields.length; k++) {
    const fl = fields[k]!;
    if (f.ref(fl, 4) !== 0) return null; // dictionary-encoded
    const tag = f.field(fl, 2) === 0 ? 0 : f.u8(f.field(fl, 2));
    const type = f.ref(fl, 3);
    if (type === 0) return null;
    if (k === 0) {
      const bits = f.field(type, 0) === 0 ? 0 : f.i32(f.field(type, 0));
      const signed = f.field(type, 1) !== 0 && f.u8(f.field(type, 1)) === 1;
      if (tag !== TYPE_INT || bits !== 64 || !signed) return null;
    } else if (tag !== TYPE_FLOATING_POINT || (f.field(type, 0) === 0 ? 0 : f.i16(f.field(type, 0))) !== DOUBLE) return null;
    names.push(f.str(f.ref(fl, 0)));
  }
  if (names[0] !== 'ts') return null;
  const metadata: SeriesMetadata = {};
  for (const kv of f.tables(f.ref(schema, 2))) metadata[f.str(f.ref(kv, 0))] = f.str(f.ref(kv, 1));
  // The record batch's message: continuation + length prefix, then the Message flatbuffer.
  if (metaBytes < 16 || blockAt + metaBytes > size) return null;
  const m = flatbufferAt(fd, blockAt + 8, metaBytes - 8);
  if (!m) return null;
  const msg = m.u32(0);
  if (m.field(msg, 1) === 0 || m.u8(m.field(msg, 1)) !== HEADER_RECORD_BATCH) return null;
  const rb = m.ref(msg, 2);
  if (rb === 0 || m.ref(rb, 3) !== 0) return null; // compressed body
  const n = m.field(rb, 0) === 0 ? 0 : m.i64(m.field(rb, 0));
  const nodes = m.ref(rb, 1);
  const buffers = m.ref(rb, 2);
  if (nodes === 0 || buffers === 0 || m.u32(nodes) !== names.length || m.u32(buffers) !== 2 * names.length) return null;
  const body = blockAt + metaBytes;
  // FieldNode {length, null_count} and Buffer {offset, length}: 16-byte structs right after each
  // vector's uint32 length.
  const nodeAt = (c: number): number => nodes + 4 + 16 * c;
  const bufAt = (k: number): number => buffers + 4 + 16 * k;
  const plans: ColumnPlan[] = names.map((name, c) => ({
    name,
    validityAt: body + m.i64(bufAt(2 * c)),
    validityBytes: m.i64(bufAt(2 * c) + 8),
    valuesAt: body + m.i64(bufAt(2 * c + 1)),
    valuesBytes: m.i64(bufAt(2 * c + 1) + 8),
    nulls: m.i64(nodeAt(c) + 8),
  }));
  if (plans.some((p, c) => m.i64(nodeAt(c)) !== n || p.valuesBytes < n * 8 || p.valuesAt + n * 8 > size)) return null;
  if (plans[0]!.nulls > 0) return null; // ts with nulls: the whole-file path names the problem
  return { n, plans, metadata };
}

/** Rows per chunk when comparing a file's ts with a loaded column (64 KB of int64). */
const COMPARE_ROWS = 8192;
let compareChunk: Float64Array | null = null;

/**
 * The candidate equal, value for value, to the `len` int64 ms at file position `at` as
 * {@link int64ToFloat64InPlace} converts them, or null. The first and last values rule out most
 * candidates without reading; the rest is read chunk by chunk into one reused 64 KB buffer,
 * converted by the same function that converted the candidate (warm by now) and compared as
 * bytes (a native memcmp: no cold JavaScript loop over the year). Equal conversions are equal
 * bit patterns, so byte equality is exactly value equality here (integers: no NaN, no −0).
 */
function sharedTs(fd: number, at: number, len: number, candidates: readonly Float64Array[], first: number, last: number): Float64Array | null {
  for (const c of candidates) {
    if (c.length !== len || c[0] !== first || c[len - 1] !== last) continue;
    compareChunk ??= new Float64Array(COMPARE_ROWS);
    const chunk = compareChunk;
    const chunkBytes = new Uint8Array(chunk.buffer);
    const candBytes = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
    let same = true;
    for (let i0 = 0; i0 < len && same; i0 += COMPARE_ROWS) {
      const k = Math.min(COMPARE_ROWS, len - i0);
      const part = chunk.subarray(0, k);
      if (!readAt(fd, chunkBytes.subarray(0, 8 * k), at + 8 * i0)) return null;
      int64ToFloat64InPlace(part);
      same = Buffer.compare(chunkBytes.subarray(0, 8 * k), candBytes.subarray(8 * i0, 8 * (i0 + k))) === 0;
    }
    if (same) return c;
  }
  return null;
}

/** Reinterpret int64 ms (little-endian words) as float64 ms, in the same memory. */
function int64ToFloat64InPlace(a: Float64Array): void {
  const w = new Int32Array(a.buffer, a.byteOffset, a.length * 2);
  for (let i = 0; i < a.length; i++) {
    const lo = w[2 * i]! >>> 0;
    const hi = w[2 * i + 1]!;
    a[i] = hi * 4294967296 + lo;
  }
}

/** Set NaN where the validity bitmap marks rows [lo, lo + col.length) null. */
function applyNulls(read: ReadAt, p: ColumnPlan, lo: number, col: Float64Array): boolean {
  const b0 = lo >> 3;
  const b1 = (lo + col.length + 7) >> 3;
  if (b1 > p.validityBytes) return false;
  const bits = new Uint8Array(b1 - b0);
  if (!read(bits, p.validityAt + b0)) return false;
  for (let i = 0; i < col.length; i++) {
    const bit = lo + i - 8 * b0;
    if ((bits[bit >> 3]! & (1 << (bit & 7))) === 0) col[i] = NaN;
  }
  return true;
}
