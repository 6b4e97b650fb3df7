/**
 * Entry point of the report layer: `writeReports(runDir, {html})` reads a run directory, validates
 * it, builds report.md (and report.html unless `html: false`) and writes them atomically. Nothing
 * is written if the run directory is missing, partial or of another format version.
 */
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fs.js';
import { readRunDir, type EquityArrays } from './run-dir.js';
import { RUN_FILES } from '../run-format.js';
import { buildReportHtml, buildReportMd } from './report.js';
import { buildTables } from './tables.js';

export { readRunDir, type EquityArrays } from './run-dir.js';

/** Options of {@link writeReports}. */
export interface WriteReportsOptions {
  /** Write report.html too (default true). */
  html?: boolean;
  /**
   * equity.arrow's arrays if the caller holds them (backtest, right after writing the run dir):
   * skips re-reading the file. They must be what equity.arrow holds.
   */
  equity?: EquityArrays;
}

/** Paths written by {@link writeReports}. */
export interface WrittenReports {
  md: string;
  html: string | null;
}

/**
 * Regenerate `report.md` and (unless `html: false`) `report.html` inside `runDir` from the run's
 * saved files. Both are built in memory first, then each is written atomically.
 */
export async function writeReports(runDir: string, opts: WriteReportsOptions = {}): Promise<WrittenReports> {
  const run = readRunDir(runDir, opts.equity ? { equity: opts.equity } : {});
  const tables = await buildTables(run);
  const md = buildReportMd(run, tables);
  const html = opts.html === false ? null : buildReportHtml(run, tables);
  const mdPath = join(run.dir, RUN_FILES.reportMd);
  const htmlPath = join(run.dir, RUN_FILES.reportHtml);
  try {
    if (html !== null) writeFileAtomic(htmlPath, html);
    writeFileAtomic(mdPath, md);
  } catch (e) {
    // A read-only or full run directory is the user's to fix, not an internal error.
    if ((e as NodeJS.ErrnoException).code) throw new UserError(`cannot write the report in ${run.dir}: ${(e as Error).message}`);
    throw e;
  }
  return { md: mdPath, html: html === null ? null : htmlPath };
}
