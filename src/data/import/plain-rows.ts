/**
 * The fast lane of a CSV import: whole records read straight from the bytes into a
 * {@link SeriesBuilder}'s columns, with no record object, no per-cell string and no second look
 * at a field. It takes only records it can read exactly as the general path would (every field
 * unquoted, the timestamp as epoch digits, every value a plain decimal or an empty nullable cell,
 * the header's field count, an LF or CRLF ending); at anything else it stops, and the general
 * reader (csv-stream.ts → {@link SeriesBuilder.addCsv}) parses that record, including every error
 * message naming file, row and column. So the fast lane changes how fast, never what is read.
 */
import type { PlainRecordPath } from './csv-stream.js';
import { ByteNumberReader } from './decimal.js';
import type { SeriesBuilder } from './series-builder.js';
import { epochDigitsToMs, type TsUnit } from './timestamps.js';

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** What a source column is to the fast lane: skipped (0, the default), a value, or the timestamp. */
const VALUE = 1;
const TS = 2;

/**
 * Reads plain records into `builder` (see the file comment). Build it with {@link plainRowReader},
 * which declines plans the fast lane does not cover (row filters, percent rates, interval text,
 * timestamp formats or units other than auto/ms).
 */
export class PlainRowReader implements PlainRecordPath {
  rows = 0;
  private readonly builder: SeriesBuilder;
  private readonly delimiter: number;
  /** Per source column: 0 (skipped), VALUE or TS. */
  private readonly roles: Uint8Array;
  /** Per source column: the value of the record being read (NaN: empty cell). */
  private readonly values: Float64Array;
  /** Per target column: its source column (−1: none, NaN) and whether an empty cell (NaN) is allowed. */
  private readonly sourceOf: Int32Array;
  private readonly nullable: Uint8Array;
  private readonly tsUnit: TsUnit;
  private readonly shiftMs: number;
  private readonly tsIdx: number;
  private readonly num = new ByteNumberReader();

  constructor(builder: SeriesBuilder, delimiter: number, sourceOf: Int32Array, nullable: Uint8Array) {
    const plan = builder.plan;
    this.builder = builder;
    this.delimiter = delimiter;
    this.sourceOf = sourceOf;
    this.nullable = nullable;
    this.roles = new Uint8Array(plan.names.length);
    for (const c of sourceOf) if (c >= 0) this.roles[c] = VALUE;
    this.roles[plan.tsIdx] = TS;
    this.values = new Float64Array(plan.names.length);
    this.tsUnit = plan.tsUnit;
    this.shiftMs = plan.shiftMs;
    this.tsIdx = plan.tsIdx;
  }

  read(buf: Uint8Array, start: number, end: number, line: number): number {
    const b = this.builder;
    const first = b.n;
    let k = first;
    let p = start;
    for (;;) {
      const next = this.readRecord(buf, p, end);
      if (next < 0) break;
      if (k === b.cap) {
        b.n = k;
        b.nextRow();
      }
      if (!this.store(k)) break;
      k++;
      p = next;
    }
    // The rows taken are consecutive lines: their count and lines are recorded once per call.
    const rows = k - first;
    b.n = k;
    b.rowsRead += rows;
    b.lines.pushRun(line, rows);
    this.rows = rows;
    return p;
  }

  /**
   * Read the fields of the record at `p` into {@link values} (the timestamp as UnixMs at its
   * column); return the offset after its line break, or −1 if the fast lane cannot take it (or
   * it is not complete in the buffer). One pass: each number is parsed where it stands.
   */
  private readRecord(buf: Uint8Array, p: number, end: number): number {
    const roles = this.roles;
    const values = this.values;
    const num = this.num;
    const delimiter = this.delimiter;
    const last = roles.length - 1;
    let q = p;
    for (let c = 0; c <= last; c++) {
      const role = roles[c]!;
      if (role === VALUE) {
        const v = num.decimal(buf, q, end);
        // An empty cell is NaN (null); the commit refuses it where a value is required.
        if (v !== v && num.end !== q) return -1;
        values[c] = v;
        q = num.end;
      } else if (role === TS) {
        const u = num.epochDigits(buf, q, end);
        // Epoch ms (1973–5138) read as auto or ms is the digits themselves: skip the unit logic.
        const ts = u >= 1e11 && u < 1e14 ? u : u < 0 ? NaN : epochDigitsToMs(u, this.tsUnit);
        if (ts !== ts) return -1;
        values[c] = ts;
        q = num.end;
      } else {
        if (q < end && buf[q] === QUOTE) return -1;
        while (q < end) {
          const ch = buf[q]!;
          if (ch === delimiter || ch === LF || ch === CR) break;
          q++;
        }
      }
      // The field must end here: at the delimiter, or at the line break after the last field.
      if (q >= end) return -1;
      const ch = buf[q]!;
      if (c < last) {
        if (ch !== delimiter) return -1;
        q++;
      } else if (ch === LF) q++;
      else if (ch === CR && q + 1 < end && buf[q + 1] === LF) q += 2;
      else return -1;
    }
    return q;
  }

  /** Store the record just read as row `k` of the builder's columns; false if a required cell was empty (the row is not taken). */
  private store(k: number): boolean {
    const b = this.builder;
    const cols = b.cols;
    const sourceOf = this.sourceOf;
    const values = this.values;
    for (let i = 0; i < cols.length; i++) {
      const c = sourceOf[i]!;
      const v = c < 0 ? NaN : values[c]!;
      // An empty required cell is an error: the general path reports it.
      if (v !== v && c >= 0 && this.nullable[i] === 0) return false;
      cols[i]![k] = v;
    }
    b.ts[k] = values[this.tsIdx]! + this.shiftMs;
    return true;
  }
}

/**
 * The fast lane for `builder`'s plan, or null when the plan needs what only the general path
 * does: a `where` filter, a timestamp format or a unit other than auto/ms, a percent rate or an
 * interval column (text such as `8h`), or a timestamp column that also feeds a value.
 */
export function plainRowReader(builder: SeriesBuilder, delimiter: number): PlainRowReader | null {
  const plan = builder.plan;
  if (plan.where.length > 0 || !plan.fastTs) return null;
  const n = plan.targets.length;
  const sourceOf = new Int32Array(n);
  const nullable = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const single = plan.singleIdx >= 0;
    // --value-column: open = high = low = close = value (required), volume null.
    const c = single ? (plan.targets[i] === 'volume' ? -1 : plan.singleIdx) : plan.srcIdx[i]!;
    const kind = plan.cellKind[i]!;
    if (c >= 0 && !single && kind !== 'number' && kind !== 'nullable') return null;
    if (c === plan.tsIdx) return null;
    sourceOf[i] = c;
    nullable[i] = !single && kind === 'nullable' ? 1 : 0;
  }
  return new PlainRowReader(builder, delimiter, sourceOf, nullable);
}
