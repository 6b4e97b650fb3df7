/**
 * A streaming CSV record reader over bytes: chunks are pushed in, complete records come out as
 * field offsets into the current buffer, so a gigabyte file is never one string (V8 caps strings
 * at ~512 MB) and numeric cells are read straight from the bytes, without a string per cell.
 *
 * RFC 4180 quoting (a quoted field is unquoted into a string), CRLF or LF, an optional UTF-8 BOM,
 * an optional trailing newline, blank lines skipped; same rules as {@link parseCsv} in table.ts.
 */
import { DataError } from '../../core/errors.js';
import { parseEpochDigits, parsePlainDecimal } from './decimal.js';

/** One record: fields `0 … count-1` of the reader's current buffer. Valid only during the callback. */
export interface CsvRecord {
  /** Number of fields. */
  readonly count: number;
  /** 1-based line of the file where the record starts. */
  readonly line: number;
  /** Field `c` as a string (unquoted; quoted fields decoded once). */
  text(c: number): string;
  /**
   * Field `c` as a number when it is a plain decimal read exactly from the bytes (see
   * {@link parsePlainDecimal}); NaN otherwise (call {@link text} and parse it the slow way).
   */
  fastNumber(c: number): number;
  /** Field `c` as epoch digits read exactly from the bytes (see {@link parseEpochDigits}), or −1. */
  epochDigits(c: number): number;
}

/**
 * A bulk reader of the plain records that make up nearly all of a big file (see
 * plain-rows.ts): it consumes whole records it can take as they are and stops at the first one
 * it cannot, which the general reader then parses and hands to `onRecord`.
 */
export interface PlainRecordPath {
  /**
   * Consume complete records from `buf[start, end)`, the first at 1-based `line`; return the
   * offset after the last record consumed (`start` if none) and set {@link rows}.
   */
  read(buf: Uint8Array, start: number, end: number, line: number): number;
  /** Records consumed by the last {@link read}. */
  readonly rows: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Longest record accepted (a file without newlines is not a CSV of rows). */
const MAX_RECORD_BYTES = 64 << 20;

/**
 * Push-based CSV reader. `push(chunk)` for each chunk in order, then `end()`. `onRecord` is called
 * for every non-blank record (the header too: the caller decides what it is).
 */
export class CsvRecordReader implements CsvRecord {
  private buf: Buffer;
  private len = 0;
  /** The field separator's byte. */
  readonly delimiter: number;
  private readonly file: string;
  private readonly onRecord: (r: CsvRecord) => void;
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  /** Unquoted text of quoted fields (index = field), undefined for plain ones. */
  private quoted: (string | undefined)[] = [];
  private anyQuoted = false;
  private first = true;
  private lastByte = -1;
  /** Bytes consumed before the current buffer start (for progress / estimates). */
  private consumedBefore = 0;
  count = 0;
  line = 1;
  /** Notes on quirks (BOM stripped, no trailing newline). */
  readonly notes: string[] = [];
  /** Takes the plain records before the general parser sees them; set from `onRecord` (after the header). */
  plainPath: PlainRecordPath | null = null;

  constructor(file: string, onRecord: (r: CsvRecord) => void, delimiter = ',', initialBytes = 8 << 20) {
    this.file = file;
    this.onRecord = onRecord;
    this.delimiter = delimiter.charCodeAt(0);
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes of input fully parsed so far. */
  get bytesParsed(): number {
    return this.consumedBefore;
  }

  /** Append a chunk and emit every record it completes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.ensureRoom(chunk.length);
    this.buf.set(chunk, this.len);
    this.appended(chunk.length);
  }

  /**
   * Read up to `max` bytes straight into the buffer with `read(buf, offset, length)` (e.g. a
   * `readSync` on a file: no copy through a chunk) and emit the records completed. Returns the
   * bytes read (0 at the end of input).
   */
  pushFrom(max: number, read: (buf: Buffer, offset: number, length: number) => number): number {
    this.ensureRoom(max);
    const n = read(this.buf, this.len, max);
    if (n > 0) this.appended(n);
    return n;
  }

  private ensureRoom(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.len + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private appended(bytes: number): void {
    this.len += bytes;
    this.lastByte = this.buf[this.len - 1]!;
    if (this.first && !this.stripBom(false)) return;
    this.drain(false);
  }

  /** Drop a UTF-8 BOM once 3 bytes are in (a chunk may end inside it); false while undecided. */
  private stripBom(final: boolean): boolean {
    if (this.len < 3 && !final) return false;
    this.first = false;
    const b = this.buf;
    if (this.len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      b.copy(b, 0, 3, this.len);
      this.len -= 3;
      this.consumedBefore += 3;
      this.notes.push('UTF-8 BOM stripped');
    }
    return true;
  }

  /** Emit the last record (one without a trailing newline). */
  end(): void {
    if (this.first) this.stripBom(true);
    if (this.len > 0 && this.lastByte !== LF && this.lastByte !== CR) this.notes.push('no trailing newline (last line kept)');
    this.drain(true);
  }

  /** Parse complete records from the buffer; keep an incomplete tail for the next chunk. */
  private drain(final: boolean): void {
    const buf = this.buf;
    const n = this.len;
    let p = 0;
    while (p < n) {
      const plain = this.plainPath;
      if (plain !== null) {
        p = plain.read(buf, p, n, this.line);
        this.line += plain.rows;
        if (p >= n) break;
      }
      const next = this.parseRecord(buf, p, n, final);
      if (next < 0) break; // incomplete: wait for more bytes
      p = next;
    }
    if (p > 0) {
      buf.copy(buf, 0, p, n);
      this.len = n - p;
      this.consumedBefore += p;
    }
    if (!final && this.len > MAX_RECORD_BYTES) throw new DataError(this.file, `a record longer than ${MAX_RECORD_BYTES >> 20} MB (no line breaks?)`, this.line);
    if (final && this.len > 0) throw new DataError(this.file, 'unterminated quoted field', this.line);
  }

  /**
   * Parse one record starting at `p`; returns the offset after its line break, or −1 if the
   * buffer ends first and more input may follow.
   */
  private parseRecord(buf: Buffer, p0: number, n: number, final: boolean): number {
    const delim = this.delimiter;
    let p = p0;
    let nf = 0;
    let nl = 0; // line breaks inside quoted fields
    if (this.anyQuoted) {
      this.quoted.length = 0;
      this.anyQuoted = false;
    }
    for (;;) {
      if (nf === this.starts.length) this.growFields();
      if (p < n && buf[p] === QUOTE) {
        let j = p + 1;
        let out = '';
        for (;;) {
          const q = buf.indexOf(QUOTE, j);
          if (q < 0 || q >= n) {
            if (final) throw new DataError(this.file, 'unterminated quoted field', this.line);
            return -1;
          }
          if (q + 1 >= n && !final) return -1; // cannot tell "" from a closing quote yet
          out += buf.toString('utf8', j, q);
          for (let k = j; k < q; k++) if (buf[k] === LF) nl++;
          if (q + 1 < n && buf[q + 1] === QUOTE) {
            out += '"';
            j = q + 2;
          } else {
            j = q + 1;
            break;
          }
        }
        this.quoted[nf] = out;
        this.anyQuoted = true;
        this.starts[nf] = -1;
        this.ends[nf] = -1;
        p = j;
      } else {
        let j = p;
        while (j < n) {
          const c = buf[j]!;
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        if (j >= n && !final) return -1;
        this.starts[nf] = p;
        this.ends[nf] = j;
        p = j;
      }
      nf++;
      if (p < n && buf[p] === delim) {
        p++;
        continue;
      }
      break;
    }
    if (p < n && buf[p] === CR) {
      if (p + 1 >= n && !final) return -1;
      p++;
    }
    if (p < n && buf[p] === LF) p++;
    else if (p < n) throw new DataError(this.file, 'unexpected character after a quoted field', this.line);
    this.count = nf;
    const blank = nf === 1 && this.starts[0]! >= 0 && this.isBlank(buf, this.starts[0]!, this.ends[0]!);
    if (!blank) this.onRecord(this);
    this.line += 1 + nl;
    return p;
  }

  private isBlank(buf: Buffer, s: number, e: number): boolean {
    for (let k = s; k < e; k++) {
      const c = buf[k]!;
      if (c !== 32 && c !== 9) return false;
    }
    return true;
  }

  private growFields(): void {
    const s = new Int32Array(this.starts.length * 2);
    s.set(this.starts);
    this.starts = s;
    const e = new Int32Array(this.ends.length * 2);
    e.set(this.ends);
    this.ends = e;
  }

  text(c: number): string {
    const s = this.starts[c]!;
    if (s < 0) return this.quoted[c]!;
    return this.buf.toString('utf8', s, this.ends[c]);
  }

  fastNumber(c: number): number {
    const s = this.starts[c]!;
    return s < 0 ? NaN : parsePlainDecimal(this.buf, s, this.ends[c]!);
  }

  epochDigits(c: number): number {
    const s = this.starts[c]!;
    return s < 0 ? -1 : parseEpochDigits(this.buf, s, this.ends[c]!);
  }
}
