/**
 * A streaming Arrow IPC *file* writer for wide float64 tables (an int64 `ts` column followed by
 * float64 columns), written batch by batch straight from the caller's typed arrays.
 *
 * Why not `tableToIPC`: it assembles the whole file in one new buffer (a year of 1m equity
 * samples is ~70 MB, copied once more and page-faulted in), and needs every column in memory at
 * once. Here each record batch's metadata is encoded with apache-arrow's own flatbuffer encoders
 * (`Message`, `Footer`), and the column buffers go to the file descriptor as they are: one
 * `writeSync` per buffer, no copy, no per-cell work. Readers see an ordinary Arrow IPC file with
 * several record batches (pyarrow, polars, arrow-js `tableFromIPC`, `readSeriesFile`).
 *
 * NaN values are written as nulls (with a validity bitmap) only in the batches that contain them,
 * so that `readSeriesFile` (nulls → NaN) round-trips them; other batches carry no bitmap.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Field, Float64, Int64, MetadataVersion, Schema } from 'apache-arrow';
import { Message } from 'apache-arrow/ipc/metadata/message';
import * as ipcMeta from 'apache-arrow/ipc/metadata/message';
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';

const MAGIC = Uint8Array.of(0x41, 0x52, 0x52, 0x4f, 0x57, 0x31); // "ARROW1"
const ZEROS = new Uint8Array(8);

/** Bytes `n` rounds up to for 8-byte alignment. */
function pad8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * Writes `ts` (int64 ms) plus float64 columns to an Arrow IPC file at `path`, one record batch
 * per {@link writeBatch} call. Call {@link close} to write the footer; {@link abort} to stop
 * without one (the caller deletes the file). Not thread-safe; synchronous.
 */
export class Float64IpcFileWriter {
  readonly path: string;
  private readonly fd: number;
  private readonly schema: Schema;
  private readonly ncols: number;
  private position = 0;
  private readonly blocks: FileBlock[] = [];
  /** Reused int64 words for `ts`, grown as needed. */
  private tsWords = new Int32Array(0);
  private closed = false;
  /** Bytes written so far (the file size once closed). */
  get bytesWritten(): number {
    return this.position;
  }

  constructor(path: string, columnNames: readonly string[], metadata: Readonly<Record<string, string>> = {}) {
    this.path = path;
    this.ncols = columnNames.length;
    const fields = [new Field('ts', new Int64(), false), ...columnNames.map((n) => new Field(n, new Float64(), true))];
    this.schema = new Schema(fields, new Map(Object.entries(metadata)));
    this.fd = openSync(path, 'w');
    try {
      this.write(MAGIC);
      this.write(ZEROS.subarray(0, 2));
      this.writeMessage(Message.from(this.schema), null);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  /**
   * Append one record batch of `length` rows: `ts[0..length)` (integer ms, |ts| < 2^53) and each
   * column's `[0..length)`, in the column order given to the constructor.
   */
  writeBatch(ts: Float64Array, columns: readonly Float64Array[], length: number): void {
    if (this.closed) throw new Error(`Float64IpcFileWriter ${this.path}: already closed`);
    if (columns.length !== this.ncols) throw new Error(`Float64IpcFileWriter ${this.path}: ${columns.length} columns given, schema has ${this.ncols}`);
    if (length === 0) return;
    if (ts.length < length) throw new Error(`Float64IpcFileWriter ${this.path}: ts has ${ts.length} rows, batch has ${length}`);
    const words = this.tsWordsFor(ts, length);
    const nodes: ipcMeta.FieldNode[] = [new ipcMeta.FieldNode(length, 0)];
    const regions: ipcMeta.BufferRegion[] = [];
    const body: Uint8Array[] = [];
    let off = 0;
    const add = (bytes: Uint8Array | null): void => {
      const len = bytes ? bytes.byteLength : 0;
      regions.push(new ipcMeta.BufferRegion(off, len));
      if (bytes && len > 0) {
        body.push(bytes);
        const p = pad8(len) - len;
        if (p > 0) body.push(ZEROS.subarray(0, p));
        off += pad8(len);
      }
    };
    add(null); // ts validity: no nulls
    add(new Uint8Array(words.buffer, 0, length * 8));
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      if (col.length < length) throw new Error(`Float64IpcFileWriter ${this.path}: column ${c} has ${col.length} rows, batch has ${length}`);
      const bitmap = nullBitmap(col, length);
      nodes.push(new ipcMeta.FieldNode(length, bitmap ? bitmap.nulls : 0));
      add(bitmap ? bitmap.bits : null);
      add(new Uint8Array(col.buffer, col.byteOffset, length * 8));
    }
    const rb = new ipcMeta.RecordBatch(length, nodes, regions, null);
    this.writeMessage(Message.from(rb, off), body);
  }

  /** Write the end-of-stream marker and the file footer, and close the file. */
  close(): void {
    if (this.closed) return;
    try {
      this.write(Int32Array.of(-1, 0));
      const footer = Footer.encode(new Footer(this.schema, MetadataVersion.V5, this.blocks, []));
      this.write(footer);
      this.write(Int32Array.of(footer.byteLength));
      this.write(MAGIC);
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }

  /** Close the file without a footer (after an error: the caller removes the partial file). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private tsWordsFor(ts: Float64Array, length: number): Int32Array {
    if (this.tsWords.length < 2 * length) this.tsWords = new Int32Array(2 * length);
    const w = this.tsWords;
    // int64 little-endian without BigInt: low word (unsigned bits), then the signed high word.
    for (let i = 0; i < length; i++) {
      const t = ts[i]!;
      if (!Number.isSafeInteger(t)) throw new Error(`Float64IpcFileWriter ${this.path}: ts[${i}] = ${t} is not an integer ms`);
      const hi = Math.floor(t / 4294967296);
      w[2 * i] = t - hi * 4294967296;
      w[2 * i + 1] = hi;
    }
    return w;
  }

  private writeMessage(message: Message, body: Uint8Array[] | null): void {
    const meta = Message.encode(message);
    // Continuation marker, metadata length, flatbuffer, padding to 8 (IPC format ≥ 0.15).
    const aligned = pad8(meta.byteLength + 8);
    if (body) this.blocks.push(new FileBlock(aligned, message.bodyLength, this.position));
    this.write(Int32Array.of(-1, aligned - 8));
    this.write(meta);
    const p = aligned - 8 - meta.byteLength;
    if (p > 0) this.write(ZEROS.subarray(0, p));
    if (body) for (const b of body) this.write(b);
  }

  private write(chunk: ArrayBufferView): void {
    const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
    this.position += bytes.byteLength;
  }
}

/** Validity bitmap (1 = value) of `col[0..length)` when it holds NaN, else null. */
function nullBitmap(col: Float64Array, length: number): { bits: Uint8Array; nulls: number } | null {
  let first = -1;
  for (let i = 0; i < length; i++) {
    if (col[i] !== col[i]) {
      first = i;
      break;
    }
  }
  if (first < 0) return null;
  const bits = new Uint8Array(Math.ceil(length / 8)).fill(0xff);
  // Bits past `length` in the last byte must be ignored by readers; clear them anyway.
  if (length % 8) bits[bits.length - 1] = (1 << (length % 8)) - 1;
  let nulls = 0;
  for (let i = first; i < length; i++) {
    if (col[i] !== col[i]) {
      bits[i >> 3]! &= ~(1 << (i & 7));
      nulls++;
    }
  }
  return { bits, nulls };
}
