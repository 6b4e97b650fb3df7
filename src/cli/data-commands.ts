/**
 * Implementations of `perpcarry data inspect | validate | windows | import` (registered in
 * commands/data.ts, imported lazily).
 */
import { existsSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { DataError, UserError } from '../core/errors.js';
import { SERIES_KINDS, parseSymbol, seriesRelPath, type SeriesKind } from '../core/ids.js';
import { isoWindow, parseInstant } from '../core/time.js';
import { defaultDataDir, readCatalog } from '../data/catalog.js';
import { IMPORT_FORMATS, parseSeriesFile, storeParsed, type ImportFormat, type ParseOptions } from '../data/import/index.js';
import { TS_UNITS, type TsUnit } from '../data/import/timestamps.js';
import { formatSummary, inspectSeries } from '../data/inspect.js';
import { kindHasTimeframe } from '../data/schema.js';
import { readSeriesFile, type SeriesColumns } from '../data/store.js';
import { formatReport, validateSeries, type ValidationReport } from '../data/validate.js';
import { validateArrowFile, validateStore } from '../data/validate-files.js';
import { windowCoverage } from '../data/windows.js';
import { reindexStore } from '../data/reindex.js';
import { existingDataDir } from './data-list.js';

function checkKind(kind: string): SeriesKind {
  if (!SERIES_KINDS.includes(kind as SeriesKind)) throw new UserError(`unknown kind "${kind}" (expected ${SERIES_KINDS.join(', ')})`);
  return kind as SeriesKind;
}

/** Rows of a series with fromMs ≤ ts ≤ toMs (views, no copy). */
function sliceRows(s: SeriesColumns, fromMs: number, toMs: number): SeriesColumns {
  let a = 0;
  while (a < s.ts.length && s.ts[a]! < fromMs) a++;
  let b = a;
  while (b < s.ts.length && s.ts[b]! <= toMs) b++;
  return { ts: s.ts.subarray(a, b), columns: Object.fromEntries(Object.entries(s.columns).map(([k, v]) => [k, v.subarray(a, b)])) };
}

/** `data inspect <venue> <symbol> <kind> [--timeframe] [--from --to]`. */
export function inspectCommand(o: { dataDir?: string; venue: string; symbol: string; kind: string; timeframe?: string; json: boolean; from?: string; to?: string }): void {
  const dataDir = existingDataDir(o.dataDir);
  const kind = checkKind(o.kind);
  if (kindHasTimeframe(kind) && !o.timeframe) {
    const cat = readCatalog(dataDir);
    const tfs = cat.entries.filter((e) => e.venue === o.venue && e.symbol === o.symbol && e.kind === kind).map((e) => e.timeframe);
    throw new UserError(`kind ${kind} needs --timeframe${tfs.length ? ` (stored: ${tfs.join(', ')})` : ''}`);
  }
  let rel: string;
  try {
    rel = seriesRelPath(o.venue, o.symbol, kind, kindHasTimeframe(kind) ? o.timeframe : undefined);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const path = join(dataDir, rel);
  if (!existsSync(path)) throw new UserError(`no stored series ${o.venue} ${o.symbol} ${kind}${o.timeframe ? ' ' + o.timeframe : ''} (${path}); see \`perpcarry data list\``);
  let range: { fromMs: number; toMs: number } | undefined;
  if (o.from !== undefined || o.to !== undefined) {
    if (o.from === undefined || o.to === undefined) throw new UserError('--from and --to go together');
    range = { fromMs: parseInstant(o.from, '--from'), toMs: parseInstant(o.to, '--to') };
    if (!(range.toMs > range.fromMs)) throw new UserError(`--from ${o.from} is not before --to ${o.to}`);
  }
  const full = readSeriesFile(path);
  const s = range ? sliceRows(full, range.fromMs, range.toMs) : full;
  // Funding gaps are found on the whole file (the settlement before the range anchors its grid).
  const summary = inspectSeries(s, kind, kindHasTimeframe(kind) ? o.timeframe : undefined, range, full);
  const entry = readCatalog(dataDir).entries.find((e) => e.path === rel);
  if (o.json) {
    process.stdout.write(JSON.stringify({ path: rel, ...summary, provenance: entry?.provenance }, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatSummary(summary, `${o.venue} ${o.symbol} ${kind}${o.timeframe && kindHasTimeframe(kind) ? ' ' + o.timeframe : ''}  (${rel})`) + '\n');
  if (entry) {
    process.stdout.write(`  provenance (${entry.provenance.method}, updated ${entry.provenance.updatedAt}):\n`);
    for (const src of entry.provenance.sources) process.stdout.write(`    source ${src}\n`);
    for (const n of entry.provenance.notes ?? []) process.stdout.write(`    note   ${n}\n`);
  }
}

/** Options shared by `data import` and raw-file `data validate`. */
export interface MappingArgs {
  format?: string;
  kind?: string;
  timeframe?: string;
  tsColumn?: string;
  tsUnit?: string;
  tsFormat?: string;
  timezone?: string;
  map?: string[];
  valueColumn?: string;
  rateUnit?: string;
  order?: string;
  intervalHours?: number;
  /** Hours added to every timestamp after reading (ParseOptions.tsShiftMs). */
  tsShiftHours?: number;
  where?: string[];
  from?: string;
  to?: string;
}

function pairs(list: string[] | undefined, option: string): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new UserError(`${option} "${item}": expected name=value`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

/** Turn CLI mapping options into ParseOptions, checking every enumerated value. */
export function parseOptionsFromArgs(file: string, a: MappingArgs): ParseOptions {
  if (!a.kind) throw new UserError('--kind is required (ohlcv, mark, index, funding, open_interest)');
  const kind = checkKind(a.kind);
  if (a.format !== undefined && !IMPORT_FORMATS.includes(a.format as ImportFormat)) throw new UserError(`--format "${a.format}": expected one of ${IMPORT_FORMATS.join(', ')}`);
  if (a.tsUnit !== undefined && !TS_UNITS.includes(a.tsUnit as TsUnit)) throw new UserError(`--ts-unit "${a.tsUnit}": expected one of ${TS_UNITS.join(', ')}`);
  if (a.rateUnit !== undefined && a.rateUnit !== 'decimal' && a.rateUnit !== 'percent') throw new UserError(`--rate-unit "${a.rateUnit}": expected decimal or percent`);
  if (a.order !== undefined && !['auto', 'asc', 'desc'].includes(a.order)) throw new UserError(`--order "${a.order}": expected auto, asc or desc`);
  if (a.intervalHours !== undefined && !(a.intervalHours > 0)) throw new UserError(`--interval-hours must be positive`);
  const inst = (v: string | undefined, opt: string) => {
    if (v === undefined) return undefined;
    try {
      return parseInstant(v, opt);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  };
  const opts: ParseOptions = { file, kind };
  if (a.timeframe) opts.timeframe = a.timeframe;
  if (a.format) opts.format = a.format as ImportFormat;
  if (a.tsColumn) opts.tsColumn = a.tsColumn;
  if (a.tsUnit) opts.tsUnit = a.tsUnit as TsUnit;
  if (a.tsFormat) opts.tsFormat = a.tsFormat;
  if (a.timezone) opts.timezone = a.timezone;
  const cols = pairs(a.map, '--map');
  if (cols) opts.columns = cols;
  if (a.valueColumn) opts.valueColumn = a.valueColumn;
  if (a.rateUnit) opts.rateUnit = a.rateUnit;
  if (a.order) opts.order = a.order as 'auto' | 'asc' | 'desc';
  if (a.intervalHours !== undefined) opts.intervalHours = a.intervalHours;
  if (a.tsShiftHours !== undefined) {
    const ms = a.tsShiftHours * 3_600_000;
    if (!Number.isSafeInteger(Math.round(ms)) || Math.abs(ms - Math.round(ms)) > 1e-6) throw new UserError(`--ts-shift-hours ${a.tsShiftHours}: must be a finite number of hours that is a whole number of ms`);
    opts.tsShiftMs = Math.round(ms);
  }
  const where = pairs(a.where, '--where');
  if (where) opts.where = where;
  const fromMs = inst(a.from, '--from');
  const toMs = inst(a.to, '--to');
  if (fromMs !== undefined) opts.fromMs = fromMs;
  if (toMs !== undefined) opts.toMs = toMs;
  if (kindHasTimeframe(kind) && !opts.timeframe) throw new UserError(`kind ${kind} needs --timeframe (e.g. 1m, 1h)`);
  return opts;
}

/** `data import <file> --venue --symbol --kind …`: parse, validate, then merge into the store. */
export async function importCommand(a: MappingArgs & { dataDir?: string; file: string; venue: string; symbol: string; json: boolean; dryRun: boolean; allowInvalid: boolean }): Promise<void> {
  const dataDir = a.dataDir ?? defaultDataDir();
  try {
    parseSymbol(a.symbol);
  } catch (e) {
    throw new UserError(`--symbol: ${(e as Error).message}`);
  }
  if (!/^[a-z0-9]+$/.test(a.venue)) throw new UserError(`--venue "${a.venue}": expected a lower-case ccxt exchange id like binance`);
  const opts = parseOptionsFromArgs(a.file, a);
  const parsed = await parseSeriesFile(opts);
  const rep = validateSeries(parsed.series, parsed.kind, parsed.timeframe);
  rep.path = a.file;
  if (!rep.ok && !a.allowInvalid) {
    throw new DataError(a.file, `refusing to import data with validation errors (pass --allow-invalid to import anyway):\n${formatReport(rep)}`);
  }
  if (a.dryRun) {
    if (a.json) process.stdout.write(JSON.stringify({ dryRun: true, rows: parsed.series.ts.length, notes: parsed.notes, mapping: parsed.mapping, validation: rep }, null, 2) + '\n');
    else process.stdout.write(`dry run: ${parsed.series.ts.length} rows parsed from ${a.file}; nothing stored\n${parsed.notes.map((n) => `  note: ${n}\n`).join('')}${formatReport(rep)}\n`);
    return;
  }
  let res: ReturnType<typeof storeParsed>;
  try {
    res = storeParsed(parsed, { ...opts, dataDir, venue: a.venue, symbol: a.symbol, validation: rep });
  } catch (e) {
    // A file where a directory goes, a read-only or full disk: the store's location is at fault.
    const code = (e as NodeJS.ErrnoException).code;
    if (code && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EISDIR'].includes(code)) {
      throw new UserError(`cannot write to the data directory ${resolve(dataDir)} (${a.dataDir !== undefined ? '--data-dir' : 'default or $PERPCARRY_DATA_DIR'}): ${(e as Error).message}; nothing was stored`);
    }
    throw e;
  }
  if (a.json) {
    process.stdout.write(JSON.stringify({ entry: res.entry, added: res.added, replaced: res.replaced, unchanged: res.unchanged, notes: parsed.notes, warnings: rep.warnings }, null, 2) + '\n');
    return;
  }
  const e = res.entry;
  process.stdout.write(
    `imported ${parsed.series.ts.length} rows from ${a.file} into ${e.path}: ${res.added} new, ${res.replaced} replaced, ${res.unchanged} unchanged\n` +
      `  now ${e.rows} rows ${e.firstIso.slice(0, 16)} → ${e.lastIso.slice(0, 16)} UTC, ${e.gaps} missing\n` +
      parsed.notes.map((n) => `  note: ${n}\n`).join('') +
      (rep.warnings ? formatReport(rep) + '\n' : ''),
  );
}

/** `data validate [file]`: whole store, one Arrow file, or a raw input file (with --kind and mapping options). */
export async function validateCommand(a: MappingArgs & { dataDir?: string; file?: string; json: boolean; quiet: boolean }): Promise<void> {
  const dataDir = resolve(a.dataDir ?? defaultDataDir());
  let reports: ValidationReport[];
  if (!a.file) reports = validateStore(dataDir);
  else if (extname(a.file).toLowerCase() === '.arrow') {
    if (!existsSync(a.file)) throw new DataError(a.file, 'file not found');
    const rel = relative(dataDir, resolve(a.file)).split('\\').join('/');
    const entry = readCatalog(dataDir).entries.find((e) => e.path === rel);
    const o: { kind?: SeriesKind; timeframe?: string } = {};
    if (a.kind) o.kind = checkKind(a.kind);
    if (a.timeframe) o.timeframe = a.timeframe;
    reports = [validateArrowFile(a.file, entry, o)];
  } else {
    const opts = parseOptionsFromArgs(a.file, a);
    try {
      const parsed = await parseSeriesFile(opts);
      const rep = validateSeries(parsed.series, parsed.kind, parsed.timeframe);
      rep.path = a.file;
      if (parsed.snapped > 0) rep.issues.push({ severity: 'info', code: 'settlement-jitter', message: `settlement times off the hour in the input (snapped on import, max ${parsed.maxJitterMs} ms)`, count: parsed.snapped, examples: [] });
      if (parsed.duplicatesDropped > 0) rep.issues.push({ severity: 'warning', code: 'duplicate-ts', message: 'identical duplicate rows in the input (dropped on import)', count: parsed.duplicatesDropped, examples: [] });
      rep.infos = rep.issues.filter((i) => i.severity === 'info').length;
      rep.warnings = rep.issues.filter((i) => i.severity === 'warning').length;
      reports = [rep];
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      reports = [{ path: a.file, kind: opts.kind, rows: 0, firstTs: NaN, lastTs: NaN, issues: [{ severity: 'error', code: 'unparsable', message: e.message, count: 1, examples: [] }], errors: 1, warnings: 0, infos: 0, ok: false }];
    }
  }
  const failed = reports.filter((r) => !r.ok).length;
  if (a.json) process.stdout.write(JSON.stringify({ ok: failed === 0, files: reports.length, failed, reports }, null, 2) + '\n');
  else {
    for (const r of reports) if (!a.quiet || !r.ok || r.warnings) process.stdout.write(formatReport(r) + '\n');
    process.stdout.write(`${reports.length} file(s) validated: ${failed === 0 ? 'no errors' : `${failed} with errors`}\n`);
  }
  if (failed > 0) process.exitCode = 1;
}

/** `data windows [--json]`: the crash-window registry with bundled coverage. */
export function windowsCommand(a: { dataDir?: string; json: boolean }): void {
  const reports = windowCoverage(existingDataDir(a.dataDir));
  if (a.json) {
    process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
    return;
  }
  for (const w of reports) {
    process.stdout.write(`${w.id}  ${w.name}\n  ${isoWindow(w.startMs, w.endMs)}\n  ${w.description}\n`);
    if (w.coverage.length === 0) process.stdout.write('  covered by: (no bundled series)\n');
    for (const c of w.coverage) {
      process.stdout.write(`    ${(c.venue + ' ' + c.symbol).padEnd(28)} ${(c.kind + (c.timeframe ? ' ' + c.timeframe : '')).padEnd(11)} ${String(c.rows).padStart(6)} rows  ${(c.fraction * 100).toFixed(0).padStart(3)}%\n`);
    }
  }
}

/** `data reindex`: rebuild catalog.json from the Arrow files' own metadata; lists what it skipped. */
export function reindexCommand(a: { dataDir?: string; json: boolean }): void {
  const res = reindexStore(existingDataDir(a.dataDir));
  if (a.json) {
    process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  } else {
    if (res.catalogProblem) process.stdout.write(`the old catalog was unreadable (${res.catalogProblem}); rebuilt from the files\n`);
    process.stdout.write(`catalog rebuilt: ${res.entries} series, ${res.updated.length} entries updated${res.updated.length ? ` (${res.updated.join(', ')})` : ''}, ${res.removed.length} removed${res.removed.length ? ` (${res.removed.join(', ')})` : ''}, ${res.skipped.length} file(s) skipped\n`);
    for (const s of res.skipped) process.stdout.write(`  skipped ${s.path}: ${s.reason}\n`);
  }
  // A skipped file is left out of the catalog (runs cannot use it): the user has to act.
  if (res.skipped.length > 0) process.exitCode = 1;
}
