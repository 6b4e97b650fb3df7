/**
 * Validation of stored Arrow files and of the catalog: schema vs kind, catalog entry vs file
 * (sha256, rows, range), plus {@link validateSeries} on the contents.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { staleTemps } from '../core/fs.js';
import { recordVerified } from './file-state.js';
import { join, relative, resolve } from 'node:path';
import { DataError, UserError } from '../core/errors.js';
import { SERIES_KINDS, type SeriesKind } from '../core/ids.js';
import { readCatalog, sha256Hex, type CatalogEntry } from './catalog.js';
import { KIND_COLUMNS, kindHasTimeframe } from './schema.js';
import { readSeriesFile } from './store.js';
import { validateSeries, type ValidateOptions, type ValidationIssue, type ValidationReport } from './validate.js';

function fileIssue(severity: ValidationIssue['severity'], code: string, message: string, detail = ''): ValidationIssue {
  return { severity, code, message, count: 1, examples: detail ? [{ row: -1, ts: NaN, detail }] : [] };
}

function finish(rep: ValidationReport, extra: ValidationIssue[]): ValidationReport {
  rep.issues = [...extra, ...rep.issues];
  rep.errors = rep.issues.filter((i) => i.severity === 'error').length;
  rep.warnings = rep.issues.filter((i) => i.severity === 'warning').length;
  rep.infos = rep.issues.filter((i) => i.severity === 'info').length;
  rep.ok = rep.errors === 0;
  return rep;
}

/**
 * Validate one Arrow series file. Kind and timeframe come from the file's schema metadata (or the
 * catalog entry, or the arguments). With a catalog entry, its sha256/rows/range must match the file.
 */
export function validateArrowFile(path: string, entry?: CatalogEntry, opts: ValidateOptions & { kind?: SeriesKind; timeframe?: string } = {}, dataDir?: string): ValidationReport {
  const extra: ValidationIssue[] = [];
  const s = readSeriesFile(path);
  const metaKind = s.metadata['perpcarry.kind'];
  const kind = (opts.kind ?? entry?.kind ?? metaKind) as SeriesKind | undefined;
  if (!kind || !SERIES_KINDS.includes(kind)) throw new DataError(path, `cannot tell the series kind (no perpcarry.kind metadata); pass --kind`);
  const timeframe = opts.timeframe ?? entry?.timeframe ?? s.metadata['perpcarry.timeframe'];
  if (metaKind && metaKind !== kind) extra.push(fileIssue('error', 'metadata-mismatch', 'schema metadata kind differs from the catalog', `${metaKind} vs ${kind}`));
  const expected = KIND_COLUMNS[kind];
  const present = Object.keys(s.columns);
  const unexpected = present.filter((c) => !expected.includes(c));
  if (unexpected.length) extra.push(fileIssue('warning', 'extra-column', 'columns not in the schema of this kind', unexpected.join(', ')));
  if (!s.metadata['perpcarry.provenance']) extra.push(fileIssue('warning', 'no-provenance', 'no provenance in the schema metadata'));
  if (entry) {
    // The file must be the series its catalog entry (and so its path) names.
    const diffs = (['venue', 'symbol', 'kind', 'timeframe'] as const)
      .filter((k) => (s.metadata[`perpcarry.${k}`] ?? undefined) !== (entry[k] ?? undefined))
      .map((k) => `${k} ${JSON.stringify(s.metadata[`perpcarry.${k}`] ?? null)} vs ${JSON.stringify(entry[k] ?? null)}`);
    if (diffs.length) extra.push(fileIssue('error', 'metadata-mismatch', 'schema metadata differs from the series this path holds (file copied or moved over another?)', diffs.join('; ')));
    const missing = expected.filter((c) => !present.includes(c));
    if (missing.length) extra.push(fileIssue('error', 'missing-column', `columns of kind ${kind} missing`, missing.join(', ')));
    const bytes = readFileSync(path);
    const sha = sha256Hex(bytes);
    if (sha !== entry.sha256) extra.push(fileIssue('error', 'catalog-sha256', 'file bytes differ from the catalog sha256 (interrupted write or outside change; `perpcarry data reindex` rebuilds the catalog from the files)', `${sha.slice(0, 12)} vs ${entry.sha256.slice(0, 12)}`));
    const n = s.ts.length;
    if (entry.rows !== n) extra.push(fileIssue('error', 'catalog-rows', 'catalog row count differs from the file', `${entry.rows} vs ${n}`));
    else if (n > 0 && (entry.firstTs !== s.ts[0] || entry.lastTs !== s.ts[n - 1])) extra.push(fileIssue('error', 'catalog-range', 'catalog first/last ts differ from the file'));
  }
  const rep = validateSeries(s, kind, kindHasTimeframe(kind) ? timeframe : undefined, opts);
  rep.path = path;
  const out = finish(rep, extra);
  // Remember the verdict for this file version: a run then neither re-hashes nor re-validates it.
  if (entry && dataDir && !extra.some((i) => i.severity === 'error')) recordVerified(dataDir, path, entry.sha256, out);
  return out;
}

/** Temp files/dirs of dead writers anywhere under the store. */
function leftoverTemps(dir: string, out: string[] = []): string[] {
  out.push(...staleTemps(dir));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    try {
      if (lstatSync(p).isDirectory()) leftoverTemps(p, out);
    } catch {
      // vanished meanwhile
    }
  }
  return out;
}

function listArrowFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p); // symlinks are not followed: a loop must not hang or crash validation
    } catch {
      continue;
    }
    if (st.isDirectory()) listArrowFiles(p, out);
    else if (name.endsWith('.arrow')) out.push(p);
  }
  return out;
}

/** Validate every catalog entry, and report Arrow files missing from the catalog (and vice versa). */
export function validateStore(dataDir: string, opts: ValidateOptions = {}): ValidationReport[] {
  if (!existsSync(dataDir)) throw new UserError(`data directory ${dataDir} does not exist`);
  const cat = readCatalog(dataDir);
  const reports: ValidationReport[] = [];
  const seen = new Set<string>();
  for (const e of cat.entries) {
    const abs = join(dataDir, e.path);
    seen.add(resolve(abs));
    if (!existsSync(abs)) {
      reports.push({ path: abs, kind: e.kind, timeframe: e.timeframe, rows: 0, firstTs: NaN, lastTs: NaN, issues: [fileIssue('error', 'missing-file', 'catalog lists a file that does not exist')], errors: 1, warnings: 0, infos: 0, ok: false });
      continue;
    }
    try {
      reports.push(validateArrowFile(abs, e, opts, dataDir));
    } catch (err) {
      reports.push({ path: abs, kind: e.kind, timeframe: e.timeframe, rows: 0, firstTs: NaN, lastTs: NaN, issues: [fileIssue('error', 'unreadable', (err as Error).message)], errors: 1, warnings: 0, infos: 0, ok: false });
    }
  }
  const leftovers = leftoverTemps(dataDir);
  if (leftovers.length) {
    reports.push({ path: dataDir, kind: 'ohlcv', rows: 0, firstTs: NaN, lastTs: NaN, issues: [{ severity: 'warning', code: 'leftover-temp', message: 'temp files of killed writers (dead pids); the next import into that directory removes them', count: leftovers.length, examples: leftovers.slice(0, 5).map((p) => ({ row: -1, ts: NaN, detail: relative(dataDir, p) })) }], errors: 0, warnings: 1, infos: 0, ok: true });
  }
  for (const f of listArrowFiles(dataDir)) {
    if (seen.has(resolve(f))) continue;
    const rel = relative(dataDir, f);
    reports.push({ path: f, kind: 'ohlcv', rows: 0, firstTs: NaN, lastTs: NaN, issues: [fileIssue('warning', 'not-in-catalog', 'Arrow file not listed in catalog.json', rel)], errors: 0, warnings: 1, infos: 0, ok: true });
  }
  return reports;
}
