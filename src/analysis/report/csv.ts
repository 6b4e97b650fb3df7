/**
 * A small CSV reader for the run directory files (docs/RUN_FORMAT.md): header row, `,` separator,
 * `\n` (or `\r\n`) line ends, optional RFC 4180 double-quoted fields. Returns columns by name.
 */
import { DataError } from '../../core/errors.js';

/** Parsed CSV: header names and one string array per column. */
export interface CsvTable {
  header: string[];
  rows: number;
  /** Raw string cells by column name. */
  cols: Record<string, string[]>;
}

/** Split CSV text into records of fields (quoted fields may contain `,`, `"` and newlines). */
function parseRecords(text: string): string[][] {
  const out: string[][] = [];
  let rec: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let quoted = false;
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      rec.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      rec.push(field);
      field = '';
      out.push(rec);
      rec = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || rec.length > 0) {
    rec.push(field);
    out.push(rec);
  }
  return out;
}

/**
 * Parse CSV text. Throws a {@link DataError} naming `file` and the 1-based line if a record has a
 * different number of fields than the header, or if a `required` column is absent.
 */
export function parseCsv(text: string, file: string, required: readonly string[] = []): CsvTable {
  const recs = parseRecords(text).filter((r) => !(r.length === 1 && r[0] === ''));
  if (recs.length === 0) throw new DataError(file, 'empty file (no header row)');
  const header = recs[0]!;
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new DataError(file, `missing column(s) ${missing.map((m) => `"${m}"`).join(', ')} (header: ${header.join(',')})`);
  const cols: Record<string, string[]> = {};
  for (const h of header) cols[h] = new Array<string>(recs.length - 1);
  for (let r = 1; r < recs.length; r++) {
    const rec = recs[r]!;
    if (rec.length !== header.length) throw new DataError(file, `expected ${header.length} fields, found ${rec.length}`, r + 1);
    for (let c = 0; c < header.length; c++) cols[header[c]!]![r - 1] = rec[c]!;
  }
  return { header, rows: recs.length - 1, cols };
}

/** A numeric column: empty cells are NaN; anything else unparsable is an error naming file/row/column. */
export function numCol(t: CsvTable, name: string, file: string): Float64Array {
  const src = t.cols[name];
  if (!src) throw new DataError(file, 'missing column', undefined, name);
  const out = new Float64Array(t.rows);
  for (let i = 0; i < t.rows; i++) {
    const s = src[i]!;
    if (s === '') out[i] = NaN;
    else {
      const v = Number(s);
      if (Number.isNaN(v)) throw new DataError(file, `not a number: "${s}"`, i + 2, name);
      out[i] = v;
    }
  }
  return out;
}

/** Quote a CSV cell if it holds a separator, quote or line break. */
export function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
