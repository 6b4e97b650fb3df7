/**
 * A CSV file streamed into a series: chunks of bytes go through the record reader
 * (csv-stream.ts) into a {@link SeriesBuilder}, the plain records by the fast lane
 * (plain-rows.ts), the others one at a time. Memory grows with the rows kept (~8 bytes per cell),
 * not with the file's text; the input is never one string.
 */
import { extname } from 'node:path';
import { DataError } from '../../core/errors.js';
import { CsvRecordReader, type CsvRecord } from './csv-stream.js';
import { plainRowReader } from './plain-rows.js';
import { finishSeries } from './finish-series.js';
import { SeriesBuilder, normColumnName, planColumns } from './series-builder.js';
import { readFileInto } from './table.js';
import { inflateZipEntry, openZipEntry } from './zip.js';
import type { ImportFormat, ParseOptions, ParsedSeries } from './index.js';

/** Column names of a data.binance.vision kline CSV (12 columns; header optional). */
export const BINANCE_KLINE_COLUMNS = [
  'open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time', 'quote_volume', 'count',
  'taker_buy_volume', 'taker_buy_quote_volume', 'ignore',
];
/** Column names of a data.binance.vision fundingRate CSV. */
export const BINANCE_FUNDING_COLUMNS = ['calc_time', 'funding_interval_hours', 'last_funding_rate'];

/** Input chunk size read from a CSV file, bytes. */
const CHUNK_BYTES = 4 << 20;

const NUMERIC_CELL = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Detect the Binance presets from a header. */
function detectPreset(names: readonly string[]): ImportFormat | undefined {
  const n = names.map(normColumnName);
  if (n.length === 12 && (n[0] === 'opentime' || n[0] === 'col1') && (n[6] === 'closetime' || n[0] === 'col1')) return 'binance-klines';
  if (n.join(',') === 'calctime,fundingintervalhours,lastfundingrate') return 'binance-funding';
  return undefined;
}

/**
 * One CSV input parsed as it arrives: {@link push} (or {@link pushFrom}) every chunk in order, then
 * {@link finish}. The first record decides the header, the preset and the column plan; the same
 * bytes give the same series however they are split into chunks.
 */
export class CsvSeriesStream {
  /** Size of the whole input in bytes when known (file size, zip entry size): the columns are then sized once. */
  totalBytes = 0;
  private readonly opts: ParseOptions;
  private readonly requested: ImportFormat;
  private format: ImportFormat;
  private readonly reader: CsvRecordReader;
  private builder: SeriesBuilder | undefined;
  private estimated = false;

  /** `initialBytes`: the record reader's first buffer size (it grows for longer records). */
  constructor(opts: ParseOptions, requested: ImportFormat, initialBytes?: number) {
    this.opts = opts;
    this.requested = requested;
    this.format = requested;
    this.reader = new CsvRecordReader(opts.file, (r) => this.onRecord(r), ',', initialBytes);
  }

  /** Parse one more chunk of the input. */
  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
    this.estimate();
  }

  /** Read up to `max` bytes with `read` straight into the reader's buffer and parse them; 0 at the end. */
  pushFrom(max: number, read: (buf: Buffer, offset: number, length: number) => number): number {
    const n = this.reader.pushFrom(max, read);
    this.estimate();
    return n;
  }

  /** End of input: the last record, then ordering, checks and window (see {@link finishSeries}). */
  finish(): ParsedSeries {
    const reader = this.reader;
    reader.end();
    const b = this.builder;
    if (!b) throw new DataError(this.opts.file, 'empty file');
    // Quirk notes first, as the in-memory parser lists them.
    const late = reader.notes.filter((n) => !b.plan.notes.includes(n));
    b.plan.notes.splice(reader.notes.length - late.length, 0, ...late);
    return finishSeries(b, this.opts, this.format);
  }

  private onRecord(r: CsvRecord): void {
    if (this.builder) this.builder.addCsv(r);
    else this.start(r);
  }

  /** The first record: header or data, preset, column plan; then the fast lane takes over. */
  private start(r: CsvRecord): void {
    const opts = this.opts;
    const first = Array.from({ length: r.count }, (_, c) => r.text(c));
    const header = this.format === 'csv' ? opts.header ?? 'auto' : 'auto';
    const hasHeader = header === 'auto' ? first.some((c) => c.trim() !== '' && !NUMERIC_CELL.test(c)) : header;
    let names: string[] = hasHeader ? first.map((c) => c.trim()) : first.map((_, k) => `col${k + 1}`);
    if (this.format === 'csv' && !opts.columns && !opts.tsColumn) this.format = detectPreset(names) ?? 'csv';
    if (this.format === 'binance-klines') names = BINANCE_KLINE_COLUMNS;
    else if (this.format === 'binance-funding' && this.requested === 'binance-funding') names = BINANCE_FUNDING_COLUMNS;
    const builder = new SeriesBuilder(planColumns(opts.file, names, opts, this.format, this.reader.notes));
    this.builder = builder;
    if (!hasHeader) builder.addCsv(r);
    this.reader.plainPath = plainRowReader(builder, this.reader.delimiter);
  }

  /** One reservation from the bytes per row seen so far, instead of doubling through 2× the memory. */
  private estimate(): void {
    const b = this.builder;
    if (this.estimated || !b || b.rowsRead < 1000 || this.totalBytes <= 0) return;
    this.estimated = true;
    b.reserve(Math.ceil((this.totalBytes / Math.max(1, this.reader.bytesParsed)) * b.rowsRead * 1.02) + 1024);
  }
}

/** Stream a CSV file (or the CSV in a .zip) into a series; see {@link CsvSeriesStream}. */
export async function parseCsvStream(opts: ParseOptions, format: ImportFormat): Promise<ParsedSeries> {
  const file = opts.file;
  const stream = new CsvSeriesStream(opts, format);
  if (extname(file).toLowerCase() === '.zip') {
    const entry = openZipEntry(file);
    stream.totalBytes = entry.size;
    await inflateZipEntry(file, entry, (chunk) => stream.push(chunk));
  } else {
    readFileInto(file, (read, sizeBytes) => {
      stream.totalBytes = sizeBytes;
      while (stream.pushFrom(CHUNK_BYTES, read) > 0);
    });
  }
  return stream.finish();
}
