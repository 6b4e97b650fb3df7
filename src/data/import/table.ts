import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { DataError } from '../../core/errors.js';

/**
 * A raw table read from a source file, column-oriented, before any typing. Cells are whatever the
 * format yields: strings (CSV), JSON scalars, or parquet values (number, bigint, Date).
 */
export interface RawTable {
  /** The file the table came from (used in error messages). */
  file: string;
  /** Column names in file order. */
  names: string[];
  /** Columns by name, each `rowCount` long. */
  columns: Map<string, ArrayLike<unknown>>;
  rowCount: number;
  /** 1-based position of data row `i` in the file as a user would count it (CSV line, JSON element). */
  rowNumber(i: number): number;
  /** Notes on quirks met while reading (BOM stripped, etc.). */
  notes: string[];
}

/** Read a file's bytes, turning a missing file into a DataError. */
export function readInputBytes(file: string): Buffer {
  if (!existsSync(file)) throw new DataError(file, 'file not found');
  if (statSync(file).isDirectory()) throw new DataError(file, 'is a directory, expected a file');
  return readFileSync(file);
}

/**
 * Open `file` and hand `consume` a reader `(buf, offset, length) => bytesRead` over it (sequential,
 * 0 at the end) and its size. Returns the file size. A missing file or a directory is a DataError.
 */
export function readFileInto(file: string, consume: (read: (buf: Buffer, offset: number, length: number) => number, sizeBytes: number) => void): number {
  if (!existsSync(file)) throw new DataError(file, 'file not found');
  const st = statSync(file);
  if (st.isDirectory()) throw new DataError(file, 'is a directory, expected a file');
  const fd = openSync(file, 'r');
  try {
    consume((buf, offset, length) => readSync(fd, buf, offset, length, null), st.size);
  } finally {
    closeSync(fd);
  }
  return st.size;
}

/** Options for {@link parseCsv}. */
export interface CsvOptions {
  /** Field separator (default `,`). */
  delimiter?: string;
  /** `true`: first record is a header; `false`: none (names from `names`); `auto` (default): header if the first record has a non-numeric cell. */
  header?: boolean | 'auto';
  /** Column names to use when there is no header (or to override it). */
  names?: string[];
}

const NUMERIC_CELL = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Parse CSV text (RFC 4180 quoting, CRLF or LF, optional UTF-8 BOM, optional trailing newline).
 * Blank lines are skipped. Every record must have as many fields as the header.
 */
export function parseCsv(file: string, text: string, opts: CsvOptions = {}): RawTable {
  const notes: string[] = [];
  let src = text;
  if (src.charCodeAt(0) === 0xfeff) {
    src = src.slice(1);
    notes.push('UTF-8 BOM stripped');
  }
  if (src.length > 0 && !src.endsWith('\n')) notes.push('no trailing newline (last line kept)');
  const cursor = new TextRecordCursor(file, src, (opts.delimiter ?? ',').charCodeAt(0));
  // Fields go straight into per-column arrays (no per-record arrays: 1M-row files stay cheap on GC).
  let cols: string[][] = [];
  const lines: number[] = [];
  let width = -1;
  let first: string[] | undefined;
  while (cursor.next()) {
    const rec = cursor.fields;
    if (rec.length === 1 && rec[0]!.trim() === '') continue; // blank line
    if (width < 0) {
      // first record decides the header
      const hasHeader = opts.header === 'auto' || opts.header === undefined ? rec.some((c) => c.trim() !== '' && !NUMERIC_CELL.test(c)) : opts.header;
      if (hasHeader) first = rec.map((c) => c.trim());
      width = (opts.names ?? first ?? rec).length;
      cols = Array.from({ length: width }, () => [] as string[]);
      if (hasHeader) continue;
    }
    if (rec.length !== width) {
      const nm = opts.names ?? first ?? [];
      throw new DataError(file, `has ${rec.length} fields, expected ${width}${nm.length ? ` (${nm.join(',')})` : ''}`, cursor.startLine);
    }
    for (let c = 0; c < width; c++) cols[c]!.push(rec[c]!);
    lines.push(cursor.startLine);
  }
  if (width < 0) throw new DataError(file, 'empty file');
  const names = opts.names ?? first ?? cols.map((_, k) => `col${k + 1}`);
  const columns = new Map<string, ArrayLike<unknown>>();
  names.forEach((nm, k) => columns.set(nm, cols[k]!));
  return { file, names, columns, rowCount: lines.length, rowNumber: (r) => lines[r]!, notes };
}

/** Walks the records of CSV text one at a time: {@link next}, then {@link fields} and {@link startLine}. */
class TextRecordCursor {
  /** Fields of the current record (reused between records). */
  readonly fields: string[] = [];
  /** 1-based line where the current record starts. */
  startLine = 1;
  private line = 1;
  private i = 0;
  private readonly file: string;
  private readonly src: string;
  private readonly delim: number;

  constructor(file: string, src: string, delim: number) {
    this.file = file;
    this.src = src;
    this.delim = delim;
  }

  /** Read the next record; false at the end of the text. */
  next(): boolean {
    const src = this.src;
    const n = src.length;
    if (this.i >= n) return false;
    this.fields.length = 0;
    this.startLine = this.line;
    for (;;) {
      this.fields.push(src.charCodeAt(this.i) === 34 /* " */ ? this.quotedField() : this.plainField());
      if (this.i < n && src.charCodeAt(this.i) === this.delim) {
        this.i++;
        continue;
      }
      break;
    }
    if (this.i < n && src.charCodeAt(this.i) === 13) this.i++;
    if (this.i < n && src.charCodeAt(this.i) === 10) this.i++;
    else if (this.i < n) throw new DataError(this.file, `unexpected character after a quoted field`, this.startLine);
    this.line++;
    return true;
  }

  private quotedField(): string {
    const src = this.src;
    const start = this.i;
    let j = start + 1;
    let out = '';
    for (;;) {
      const q = src.indexOf('"', j);
      if (q < 0) throw new DataError(this.file, 'unterminated quoted field', this.startLine);
      out += src.slice(j, q);
      if (src.charCodeAt(q + 1) === 34) {
        out += '"';
        j = q + 2;
      } else {
        j = q + 1;
        break;
      }
    }
    for (let k = start; k < j; k++) if (src.charCodeAt(k) === 10) this.line++;
    this.i = j;
    return out;
  }

  private plainField(): string {
    const src = this.src;
    const n = src.length;
    const start = this.i;
    let j = start;
    while (j < n) {
      const c = src.charCodeAt(j);
      if (c === this.delim || c === 10 || c === 13) break;
      j++;
    }
    this.i = j;
    return src.slice(start, j);
  }
}

/**
 * Find the record array in a parsed JSON document: the document itself, or the first array found
 * at `result.list` (Bybit v5), `data`, `list`, `rows`, or the only array-valued property.
 */
function findRecords(doc: unknown): unknown[] | undefined {
  if (Array.isArray(doc)) return doc as unknown[];
  if (doc && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    const result = o['result'];
    if (result && typeof result === 'object' && Array.isArray((result as Record<string, unknown>)['list'])) return (result as Record<string, unknown[]>)['list'];
    for (const k of ['data', 'list', 'rows', 'result']) if (Array.isArray(o[k])) return o[k] as unknown[];
    const arrays = Object.values(o).filter(Array.isArray);
    if (arrays.length === 1) return arrays[0] as unknown[];
  }
  return undefined;
}

/**
 * Parse JSON: an array of objects (keys are column names) or of arrays (columns `col1…` or
 * `names`), possibly wrapped in an envelope (see findRecords).
 */
export function parseJsonTable(file: string, text: string, names?: string[]): RawTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new DataError(file, `not valid JSON (${(e as Error).message})`);
  }
  const recs = findRecords(doc);
  if (!recs) throw new DataError(file, 'no array of records found in the JSON document');
  if (recs.length === 0) throw new DataError(file, 'JSON record array is empty');
  return tableFromRecords(file, recs, names);
}

/** Build a RawTable from in-memory records (objects or arrays), e.g. an exchange API response. */
export function tableFromRecords(file: string, recs: readonly unknown[], names?: string[]): RawTable {
  const first = recs[0];
  let colNames: string[];
  if (Array.isArray(first)) colNames = names ?? first.map((_, k) => `col${k + 1}`);
  else if (first && typeof first === 'object') {
    const seen = new Set<string>();
    for (const r of recs) if (r && typeof r === 'object') for (const k of Object.keys(r)) seen.add(k);
    colNames = [...seen];
  } else throw new DataError(file, 'records must be objects or arrays', 1);
  const cols: unknown[][] = colNames.map(() => new Array<unknown>(recs.length));
  for (let r = 0; r < recs.length; r++) {
    const rec = recs[r];
    if (Array.isArray(rec)) {
      if (rec.length < colNames.length) throw new DataError(file, `record has ${rec.length} fields, expected ${colNames.length}`, r + 1);
      for (let c = 0; c < colNames.length; c++) cols[c]![r] = rec[c];
    } else if (rec && typeof rec === 'object') {
      const o = rec as Record<string, unknown>;
      for (let c = 0; c < colNames.length; c++) cols[c]![r] = o[colNames[c]!];
    } else throw new DataError(file, 'record is not an object or array', r + 1);
  }
  const columns = new Map<string, ArrayLike<unknown>>();
  colNames.forEach((nm, k) => columns.set(nm, cols[k]!));
  return { file, names: colNames, columns, rowCount: recs.length, rowNumber: (r) => r + 1, notes: [] };
}

/** Read a parquet file (any codec hyparquet knows, plus ZSTD via fzstd) into a RawTable. */
export async function parseParquet(file: string, bytes: Buffer): Promise<RawTable> {
  const { parquetMetadata, parquetRead } = await import('hyparquet');
  const { decompress } = await import('fzstd');
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let meta;
  try {
    meta = parquetMetadata(buf);
  } catch (e) {
    throw new DataError(file, `not a readable parquet file (${(e as Error).message})`);
  }
  const rowCount = Number(meta.num_rows);
  const names = meta.schema.slice(1).filter((s) => !s.num_children).map((s) => s.name);
  const cols = new Map<string, unknown[]>();
  for (const nm of names) cols.set(nm, new Array<unknown>(rowCount));
  // hyparquet decodes column chunks concurrently: once one rejects, the others' rejections would
  // surface later as unhandled (a stack trace after the right error). Collect them while reading.
  const stray: unknown[] = [];
  const onStray = (reason: unknown): void => {
    stray.push(reason);
  };
  process.on('unhandledRejection', onStray);
  let failure: unknown;
  try {
    await parquetRead({
      file: buf,
      compressors: { ZSTD: (input: Uint8Array, outLen: number) => decompress(input, new Uint8Array(outLen)) },
      onChunk: (chunk) => {
        const dst = cols.get(chunk.columnName);
        if (!dst) return;
        const data = chunk.columnData as ArrayLike<unknown>;
        for (let k = 0; k < data.length; k++) dst[chunk.rowStart + k] = data[k];
      },
    });
  } catch (e) {
    failure = e;
  } finally {
    // Let the other column readers settle (their rejections arrive on later ticks).
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', onStray);
  }
  failure ??= stray[0];
  if (failure !== undefined) throw new DataError(file, `cannot decode parquet data (${failure instanceof Error ? failure.message : JSON.stringify(failure)})`);
  const columns = new Map<string, ArrayLike<unknown>>();
  for (const [k, v] of cols) columns.set(k, v);
  return { file, names, columns, rowCount, rowNumber: (r) => r + 1, notes: [] };
}
