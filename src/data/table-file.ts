/**
 * A small column table written as an Arrow IPC file (sweep results: one row per point). Columns
 * are float64 (NaN ⇒ null), utf8 or bool; one record batch; atomic write.
 */
import { Bool, Field, Float64, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray } from 'apache-arrow';
import { writeFileAtomic } from '../core/fs.js';

/** One column of a {@link writeTableFile} table. */
export type TableColumn =
  | { name: string; type: 'float64'; values: Float64Array }
  | { name: string; type: 'utf8'; values: readonly string[] }
  | { name: string; type: 'bool'; values: readonly boolean[] };

/** Encode columns of equal length as an Arrow IPC file; `metadata` goes to the schema. */
export function encodeTable(columns: readonly TableColumn[], metadata: Record<string, string> = {}): Uint8Array {
  const n = columns.length ? columns[0]!.values.length : 0;
  const fields: Field[] = [];
  const children = columns.map((c) => {
    if (c.values.length !== n) throw new Error(`encodeTable: column "${c.name}" has ${c.values.length} rows, expected ${n}`);
    if (c.type === 'float64') {
      let nullCount = 0;
      const bitmap = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(c.values[i]!)) nullCount++;
        else bitmap[i >> 3]! |= 1 << (i & 7);
      }
      fields.push(new Field(c.name, new Float64(), true));
      return makeData({ type: new Float64(), length: n, nullCount, data: c.values, nullBitmap: nullCount ? bitmap : undefined });
    }
    if (c.type === 'utf8') {
      fields.push(new Field(c.name, new Utf8(), false));
      return vectorFromArray([...c.values], new Utf8()).data[0]!;
    }
    fields.push(new Field(c.name, new Bool(), false));
    return vectorFromArray([...c.values], new Bool()).data[0]!;
  });
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: children as never });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'file');
}

/** {@link encodeTable} written atomically (temp file + fsync + rename). */
export function writeTableFile(path: string, columns: readonly TableColumn[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeTable(columns, metadata));
}
