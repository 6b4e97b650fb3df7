/**
 * A small FlatBuffers serializer for the Arrow IPC metadata this project writes (schema, record
 * batch and footer tables). Why not apache-arrow's encoders: importing them loads most of the
 * library's ~200 ES modules (0.2–0.4 s of CPU), and a backtest writes its equity file before it
 * reads anything else from Arrow. The format is the FlatBuffers binary layout
 * (https://flatbuffers.dev/internals/): little-endian; a table is an int32 offset back to its
 * vtable followed by its fields; a vtable is uint16 [vtable bytes, table bytes, field offsets…];
 * references (tables, vectors, strings) are uint32 offsets forward from where they are stored.
 *
 * Layout here is front to back: root offset, then each table's vtable, the table, then its
 * children, so every uoffset points forward. Scalars sit at offsets aligned to their size, vectors
 * and strings at 4 (struct vectors so that their elements are 8-aligned), as verifiers require.
 * Int64 fields are written from numbers (exact below 2^53) as two 32-bit words: no BigInt.
 */

/** A scalar field. `i64` values must be integers below 2^53 in magnitude. */
export interface FbScalar {
  t: 'bool' | 'u8' | 'i16' | 'i32' | 'i64';
  v: number;
}

/** A table: fields by slot (id order of the .fbs schema); null/undefined = absent (default). */
export interface FbTable {
  kind: 'table';
  fields: readonly (FbField | null | undefined)[];
}

/** A vector of tables. */
export interface FbTableVector {
  kind: 'tables';
  items: readonly FbTable[];
}

/** A vector of structs, each `size` bytes of int64 words (all Arrow IPC structs used here are). */
export interface FbStructVector {
  kind: 'structs';
  /** Each struct's fields as int64 values, in declaration order (a 4-byte int64-padded field is given as one i64 slot by the caller). */
  items: readonly (readonly FbStructField[])[];
}

/** A struct field: int64 or int32 (followed by 4 bytes of padding when the next field is 8-aligned). */
export interface FbStructField {
  t: 'i32pad' | 'i64';
  v: number;
}

/** A table field. */
export type FbField = FbScalar | FbTable | FbTableVector | FbStructVector | string;

const SIZE: Record<FbScalar['t'], number> = { bool: 1, u8: 1, i16: 2, i32: 4, i64: 8 };

/** Scalar field helpers. */
export const fb = {
  bool: (v: boolean): FbScalar => ({ t: 'bool', v: v ? 1 : 0 }),
  u8: (v: number): FbScalar => ({ t: 'u8', v }),
  i16: (v: number): FbScalar => ({ t: 'i16', v }),
  i32: (v: number): FbScalar => ({ t: 'i32', v }),
  i64: (v: number): FbScalar => ({ t: 'i64', v }),
  table: (...fields: (FbField | null | undefined)[]): FbTable => ({ kind: 'table', fields }),
  tables: (items: readonly FbTable[]): FbTableVector => ({ kind: 'tables', items }),
  structs: (items: readonly (readonly FbStructField[])[]): FbStructVector => ({ kind: 'structs', items }),
};

class Out {
  buf = new Uint8Array(1024);
  dv = new DataView(this.buf.buffer);
  pos = 0;

  reserve(n: number): number {
    const at = this.pos;
    const need = at + n;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf);
      this.buf = b;
      this.dv = new DataView(b.buffer);
    }
    this.pos = need;
    return at;
  }

  /** Pad with zeros until (pos + extra) is a multiple of `a`. */
  align(a: number, extra = 0): void {
    const p = (a - ((this.pos + extra) % a)) % a;
    if (p) this.reserve(p);
  }

  i64(at: number, v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`flatbuffer int64 ${v} is not a safe integer`);
    const hi = Math.floor(v / 4294967296);
    this.dv.setUint32(at, v - hi * 4294967296, true);
    this.dv.setInt32(at + 4, hi, true);
  }

  scalar(at: number, s: FbScalar): void {
    switch (s.t) {
      case 'bool':
      case 'u8':
        this.dv.setUint8(at, s.v);
        break;
      case 'i16':
        this.dv.setInt16(at, s.v, true);
        break;
      case 'i32':
        this.dv.setInt32(at, s.v, true);
        break;
      case 'i64':
        this.i64(at, s.v);
        break;
    }
  }
}

const isScalar = (f: FbField): f is FbScalar => typeof f === 'object' && 't' in f;

function writeTable(out: Out, t: FbTable): number {
  const nf = t.fields.length;
  out.align(2);
  const vt = out.reserve(4 + 2 * nf);
  out.align(8);
  const tp = out.reserve(4);
  out.dv.setInt32(tp, tp - vt, true);
  const slots = new Array<number>(nf).fill(0);
  const refs: [number, Exclude<FbField, FbScalar>][] = [];
  for (let i = 0; i < nf; i++) {
    const f = t.fields[i];
    if (f === null || f === undefined) continue;
    if (isScalar(f)) {
      out.align(SIZE[f.t]);
      const at = out.reserve(SIZE[f.t]);
      out.scalar(at, f);
      slots[i] = at - tp;
    } else {
      out.align(4);
      const at = out.reserve(4);
      slots[i] = at - tp;
      refs.push([at, f]);
    }
  }
  out.dv.setUint16(vt, 4 + 2 * nf, true);
  out.dv.setUint16(vt + 2, out.pos - tp, true);
  for (let i = 0; i < nf; i++) out.dv.setUint16(vt + 4 + 2 * i, slots[i]!, true);
  for (const [at, f] of refs) {
    const target = writeRef(out, f);
    out.dv.setUint32(at, target - at, true);
  }
  return tp;
}

function writeRef(out: Out, f: Exclude<FbField, FbScalar>): number {
  if (typeof f === 'string') {
    const bytes = new TextEncoder().encode(f);
    out.align(4);
    const at = out.reserve(4 + bytes.length + 1);
    out.dv.setUint32(at, bytes.length, true);
    out.buf.set(bytes, at + 4);
    out.buf[at + 4 + bytes.length] = 0;
    return at;
  }
  if (f.kind === 'table') return writeTable(out, f);
  if (f.kind === 'tables') {
    out.align(4);
    const at = out.reserve(4 + 4 * f.items.length);
    out.dv.setUint32(at, f.items.length, true);
    f.items.forEach((item, k) => {
      const slot = at + 4 + 4 * k;
      const target = writeTable(out, item);
      out.dv.setUint32(slot, target - slot, true);
    });
    return at;
  }
  // Struct vector: the uint32 length, then 8-aligned structs.
  out.align(8, 4);
  const at = out.reserve(4);
  out.dv.setUint32(at, f.items.length, true);
  for (const item of f.items) {
    for (const field of item) {
      const p = out.reserve(8);
      if (field.t === 'i64') out.i64(p, field.v);
      else out.dv.setInt32(p, field.v, true); // int32 + 4 bytes of padding (zeroed by reserve)
    }
  }
  return at;
}

/** Serialize `root` as a finished flatbuffer (root uoffset first), length padded to 8. */
export function finishFlatbuffer(root: FbTable): Uint8Array {
  const out = new Out();
  out.reserve(4);
  const tp = writeTable(out, root);
  out.dv.setUint32(0, tp, true);
  out.align(8);
  return out.buf.slice(0, out.pos);
}
