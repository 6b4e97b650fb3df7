import { createHash, type Hash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import type * as A from 'apache-arrow';
import { arrowLib } from './arrow-lib.js';
import { writeAllSync, writeFileAtomicWith } from '../core/fs.js';
import { DataError } from '../core/errors.js';

/**
 * An in-memory series: struct of typed arrays. `ts` is UnixMs (float64, exact for ms integers);
 * every other column is float64 with NaN standing for null. All arrays have the same length.
 */
export interface SeriesColumns {
  ts: Float64Array;
  columns: Record<string, Float64Array>;
}

/** Key/value provenance stored in the Arrow schema metadata (strings only, as Arrow requires). */
export type SeriesMetadata = Record<string, string>;

/** A series as read from disk: columns plus the file's schema metadata. */
export interface LoadedSeries extends SeriesColumns {
  metadata: SeriesMetadata;
  /** Total rows in the file (before windowing). */
  fileRows: number;
}

/** Number of rows of a series. */
export function seriesLength(s: SeriesColumns): number {
  return s.ts.length;
}

/**
 * Encode a series as an Arrow IPC *file* (random-access format) in one record batch: `ts` as
 * int64, value columns as nullable float64 (NaN ⇒ null). Column order follows `columnOrder`.
 */
export function encodeSeries(series: SeriesColumns, columnOrder: readonly string[], metadata: SeriesMetadata = {}): Uint8Array {
  return arrowLib().tableToIPC(seriesTable(series, columnOrder, metadata), 'file');
}

/** A file as written: its size and the sha256 of its bytes (hex). */
export interface WrittenFile {
  /** Size of the file, bytes. */
  bytes: number;
  /** sha256 of the file's bytes, lower-case hex. */
  sha256: string;
}

/**
 * Write a series atomically (temp file + fsync + rename), byte-identical to {@link encodeSeries},
 * and return its size and sha256. The column buffers go to the file as they are and are hashed on
 * the way: `tableToIPC` would first join them into one more copy of the whole file (480 MB for
 * 10M OHLCV rows, seconds of copying and page faults) only to write and hash that.
 */
export function writeSeriesFile(path: string, series: SeriesColumns, columnOrder: readonly string[], metadata: SeriesMetadata = {}): WrittenFile {
  const table = seriesTable(series, columnOrder, metadata);
  return writeFileAtomicWith(path, (fd) => {
    const sink = new (fdHashSinkClass())(fd);
    const writer = new (arrowLib().RecordBatchFileWriter)();
    writer.reset(sink);
    writer.writeAll(table);
    return { bytes: sink.bytes, sha256: sink.hash.digest('hex') };
  });
}

/** What {@link writeSeriesFile} reads back from its sink: the sha256 and count of the bytes written. */
interface FdHashSinkLike {
  readonly hash: Hash;
  bytes: number;
}

let FdHashSink: (new (fd: number) => A.AsyncByteQueue & FdHashSinkLike) | undefined;

/**
 * The sink of an Arrow writer that writes each chunk to `fd` and into a sha256 as it comes,
 * instead of queueing it (arrow-js accepts any AsyncByteQueue as its sink). The class is defined
 * on first use because its base class is Arrow's, which is loaded lazily (arrow-lib.ts).
 */
function fdHashSinkClass(): new (fd: number) => A.AsyncByteQueue & FdHashSinkLike {
  return (FdHashSink ??= class FdHashSink extends arrowLib().AsyncByteQueue {
    readonly hash: Hash = createHash('sha256');
    bytes = 0;
    private readonly fd: number;

    constructor(fd: number) {
      super();
      this.fd = fd;
    }

    override write(value: Parameters<A.AsyncByteQueue['write']>[0]): void {
      // The writer hands over Uint8Array views of the columns (no copy); anything else is viewed as bytes.
      const chunk = value instanceof Uint8Array ? value : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value as ArrayBufferLike);
      if (chunk.byteLength === 0) return;
      writeAllSync(this.fd, chunk);
      this.hash.update(chunk);
      this.bytes += chunk.byteLength;
    }
  });
}

/** The Arrow table of a series: `ts` int64 (exact for integer ms), then the columns as nullable float64 (NaN ⇒ null). */
function seriesTable(series: SeriesColumns, columnOrder: readonly string[], metadata: SeriesMetadata): A.Table {
  const { Field, Float64, Int64, RecordBatch, Schema, Struct, Table, makeData } = arrowLib();
  const n = series.ts.length;
  const fields: A.Field[] = [new Field('ts', new Int64(), false)];
  const children = [makeData({ type: new Int64(), length: n, nullCount: 0, data: int64Ms(series.ts) })];
  for (const name of columnOrder) {
    const col = series.columns[name];
    if (!col) throw new Error(`encodeSeries: missing column "${name}"`);
    if (col.length !== n) throw new Error(`encodeSeries: column "${name}" has ${col.length} rows, ts has ${n}`);
    const nullCount = countNaN(col);
    fields.push(new Field(name, new Float64(), true));
    children.push(makeData({ type: new Float64(), length: n, nullCount, data: col, nullBitmap: nullCount > 0 ? validityBitmap(col) : undefined }) as never);
  }
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const structData = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, structData)]);
}

/** Integer ms as int64 words, filled without BigInt (little-endian: low word, then the signed high word). */
function int64Ms(ts: Float64Array): BigInt64Array {
  const n = ts.length;
  const ts64 = new BigInt64Array(n);
  const words = new Int32Array(ts64.buffer);
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!Number.isSafeInteger(t)) throw new Error(`encodeSeries: ts[${i}] = ${t} is not an integer ms`);
    const hi = Math.floor(t / 4294967296);
    words[2 * i] = t - hi * 4294967296;
    words[2 * i + 1] = hi;
  }
  return ts64;
}

function countNaN(col: Float64Array): number {
  let nulls = 0;
  for (let i = 0; i < col.length; i++) if (col[i] !== col[i]) nulls++;
  return nulls;
}

/** Arrow validity bitmap (bit set = value present) of a column whose NaNs are nulls. */
function validityBitmap(col: Float64Array): Uint8Array {
  const bits = new Uint8Array(Math.ceil(col.length / 8));
  for (let i = 0; i < col.length; i++) if (col[i] === col[i]) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

/** Convert an int64 vector's raw buffer to float64 ms without BigInt (exact below 2^53). */
function int64BufferToFloat64(values: BigInt64Array, out: Float64Array, outOffset: number): void {
  const n = values.length;
  const words = new Int32Array(values.buffer, values.byteOffset, n * 2);
  // little-endian: low word first. hi is signed, lo unsigned.
  for (let i = 0; i < n; i++) out[outOffset + i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
}

/** `a[index[j]]` for `j < count`: the rows of a column picked, in order, by an index (a sort, a dedup). */
export function gatherRows(a: Float64Array, index: ArrayLike<number>, count: number = index.length): Float64Array {
  const out = new Float64Array(count);
  for (let j = 0; j < count; j++) out[j] = a[index[j]!]!;
  return out;
}

/** First index i with ts[i] >= t (ts sorted ascending). */
export function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Options for {@link readSeriesFile}. */
export interface ReadWindow {
  /** Inclusive lower bound on ts (UnixMs). */
  fromMs?: number;
  /** Exclusive upper bound on ts (UnixMs). */
  toMs?: number;
}

/**
 * Read an Arrow IPC file into typed arrays, optionally restricted to ts ∈ [fromMs, toMs).
 * Never materializes row objects: float64 columns of a single-batch file are zero-copy views.
 * Nulls read back as NaN.
 */
export function readSeriesFile(path: string, window: ReadWindow = {}): LoadedSeries {
  if (!existsSync(path)) throw new DataError(path, 'file not found');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(path, `cannot read (${(e as Error).message})`);
  }
  return decodeSeries(path, bytes, window);
}

/**
 * Decode Arrow IPC bytes (read from `path`, named in errors) into typed arrays. `ts` must be
 * int64 and every other column float64: a file whose columns have other types (int32, utf8…) is
 * an error naming the column, never reinterpreted. Value columns are views into `bytes` (no copy)
 * when the file has one record batch and every null slot already holds NaN, as this store writes
 * them; otherwise they are copied with nulls set to NaN.
 */
export function decodeSeries(path: string, bytes: Uint8Array, window: ReadWindow = {}): LoadedSeries {
  const { DataType, Precision, tableFromIPC } = arrowLib();
  let table: A.Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new DataError(path, `not a readable Arrow IPC file (${(e as Error).message})`);
  }
  const n = table.numRows;
  const tsVec = table.getChild('ts');
  if (!tsVec) throw new DataError(path, 'no "ts" column', undefined, 'ts');
  const tsType: A.DataType = table.schema.fields.find((f) => f.name === 'ts')!.type as A.DataType;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- Arrow's DataType prints itself ("Int64", "Utf8")
  if (!(DataType.isInt(tsType) && tsType.bitWidth === 64 && tsType.isSigned)) throw new DataError(path, `"ts" must be int64, found ${tsType.toString()}`, undefined, 'ts');
  for (const field of table.schema.fields) {
    if (field.name === 'ts') continue;
    if (!(DataType.isFloat(field.type) && field.type.precision === Precision.DOUBLE)) {
      throw new DataError(path, `column "${field.name}" must be float64, found ${String(field.type)} (not written by perpcarry; re-import the source)`, undefined, field.name);
    }
  }
  const tsAll = new Float64Array(n);
  let off = 0;
  try {
    for (const d of tsVec.data) {
      if (d.nullCount > 0) throw new DataError(path, `"ts" has ${d.nullCount} null value(s)`, undefined, 'ts');
      const vals = d.values as BigInt64Array;
      if (vals.length < d.length) throw new DataError(path, '"ts" buffer shorter than its row count (truncated or corrupt file)', undefined, 'ts');
      int64BufferToFloat64(vals.subarray(0, d.length), tsAll, off);
      off += d.length;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(path, `corrupt "ts" column (${(e as Error).message})`, undefined, 'ts');
  }
  const from = window.fromMs === undefined ? 0 : lowerBound(tsAll, window.fromMs);
  const to = window.toMs === undefined ? n : lowerBound(tsAll, window.toMs);
  const lo = Math.min(from, to);
  const columns: Record<string, Float64Array> = {};
  for (const field of table.schema.fields) {
    if (field.name === 'ts') continue;
    const vec = table.getChild(field.name)!;
    let all: Float64Array | undefined;
    if (vec.data.length === 1) {
      const d = vec.data[0]!;
      const vals = d.values as Float64Array;
      if (vals.length < d.length) throw new DataError(path, `column "${field.name}" buffer shorter than its row count (truncated or corrupt file)`, undefined, field.name);
      if (d.nullCount === 0 || nullsAreNaN(vals, d.nullBitmap, d.offset, d.length)) all = vals.length === n ? vals : vals.subarray(0, n);
    }
    if (!all) {
      all = new Float64Array(n);
      let o = 0;
      for (const d of vec.data) {
        const vals = d.values as Float64Array;
        if (vals.length < d.length) throw new DataError(path, `column "${field.name}" buffer shorter than its row count (truncated or corrupt file)`, undefined, field.name);
        all.set(vals.subarray(0, d.length), o);
        if (d.nullCount > 0 && d.nullBitmap) {
          const bm = d.nullBitmap;
          const bitOff = d.offset;
          for (let i = 0; i < d.length; i++) {
            const bit = bitOff + i;
            if ((bm[bit >> 3]! & (1 << (bit & 7))) === 0) all[o + i] = NaN;
          }
        }
        o += d.length;
      }
    }
    columns[field.name] = all.subarray(lo, to);
  }
  const metadata: SeriesMetadata = {};
  for (const [k, v] of table.schema.metadata) metadata[k] = v;
  return { ts: tsAll.subarray(lo, to), columns, metadata, fileRows: n };
}

/** Whether every slot the validity bitmap marks null already holds NaN (so the values buffer can be used as is). */
function nullsAreNaN(vals: Float64Array, bm: Uint8Array | null | undefined, bitOff: number, len: number): boolean {
  if (!bm) return true;
  for (let i = 0; i < len; i++) {
    const bit = bitOff + i;
    if ((bm[bit >> 3]! & (1 << (bit & 7))) === 0 && vals[i] === vals[i]) return false;
  }
  return true;
}

/**
 * Merge two series sorted by ts into one strictly increasing series. On equal ts the row from
 * `incoming` wins (a newer fetch or import corrects older data). Returns the merged series and how
 * many incoming rows were new, replaced an existing row, or were identical to it.
 */
export function mergeSeries(
  existing: SeriesColumns,
  incoming: SeriesColumns,
  columnOrder: readonly string[],
): { merged: SeriesColumns; added: number; replaced: number; unchanged: number } {
  const a = existing.ts;
  const b = incoming.ts;
  const out = new Float64Array(a.length + b.length);
  const src = new Int32Array(a.length + b.length); // >=0: index in a; <0: -(index in b)-1
  let i = 0;
  let j = 0;
  let k = 0;
  let added = 0;
  let replaced = 0;
  let unchanged = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) {
      out[k] = a[i]!;
      src[k++] = i++;
    } else if (i >= a.length || b[j]! < a[i]!) {
      out[k] = b[j]!;
      src[k++] = -j - 1;
      j++;
      added++;
    } else {
      let same = true;
      for (const c of columnOrder) {
        const x = existing.columns[c]![i]!;
        const y = incoming.columns[c]![j]!;
        if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) same = false;
      }
      if (same) unchanged++;
      else replaced++;
      out[k] = b[j]!;
      src[k++] = -j - 1;
      i++;
      j++;
    }
  }
  const columns: Record<string, Float64Array> = {};
  for (const c of columnOrder) {
    const ca = existing.columns[c]!;
    const cb = incoming.columns[c]!;
    const col = new Float64Array(k);
    for (let r = 0; r < k; r++) {
      const s = src[r]!;
      col[r] = s >= 0 ? ca[s]! : cb[-s - 1]!;
    }
    columns[c] = col;
  }
  return { merged: { ts: out.subarray(0, k), columns }, added, replaced, unchanged };
}

/**
 * Sort a series by ts (stable) and drop exact-duplicate timestamps, keeping the *last* occurrence
 * in input order. Returns the clean series and the number of duplicate rows dropped.
 */
export function sortDedupSeries(s: SeriesColumns, columnOrder: readonly string[]): { series: SeriesColumns; duplicates: number } {
  const n = s.ts.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let sorted = true;
  for (let i = 1; i < n; i++) if (!(s.ts[i]! > s.ts[i - 1]!)) { sorted = false; break; }
  if (sorted) return { series: s, duplicates: 0 };
  const order = Array.from(idx).sort((x, y) => s.ts[x]! - s.ts[y]! || x - y);
  const keep: number[] = [];
  for (let r = 0; r < order.length; r++) {
    const cur = order[r]!;
    if (r + 1 < order.length && s.ts[order[r + 1]!] === s.ts[cur]) continue; // a later duplicate wins
    keep.push(cur);
  }
  const columns: Record<string, Float64Array> = {};
  for (const c of columnOrder) columns[c] = gatherRows(s.columns[c]!, keep);
  return { series: { ts: gatherRows(s.ts, keep), columns }, duplicates: n - keep.length };
}
