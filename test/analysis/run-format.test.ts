/**
 * docs/RUN_FORMAT.md lists exactly the files and columns of src/analysis/run-format.ts (the one
 * definition the writer and the readers use), so the page cannot drift from what is written.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CSV_FILES, EQUITY_COLUMN_TEMPLATES, EQUITY_FIXED_COLUMNS, METRIC_KEYS, OPTIONAL_RUN_FILES, PNL_COMPONENTS, REQUIRED_RUN_FILES, RUN_FILES, RUN_FORMAT_VERSION,
  csvColumnNames, requiredCsvColumns, type CsvName,
} from '../../src/analysis/run-format.js';
import { ROOT } from '../support/paths.js';

const FILE_NAME = /^[a-z][a-z-]*\.(json|csv|arrow|log|md|html)$/;
const DOC = readFileSync(join(ROOT, 'docs', 'RUN_FORMAT.md'), 'utf8');

/** The `| file | content |` table: first cell → content cell. */
function fileTable(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of DOC.split('\n')) {
    const m = /^\| (.+?) \| (.+) \|$/.exec(line);
    if (!m || m[1] === 'file' || m[1]!.startsWith('---')) continue;
    for (const f of m[1]!.matchAll(/`([^`]+)`/g)) if (FILE_NAME.test(f[1]!)) rows.set(f[1]!, m[2]!);
  }
  return rows;
}

/** Backticked names in the doc line starting with `prefix`. */
function listedAfter(prefix: string): string[] {
  const line = DOC.split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`docs/RUN_FORMAT.md has no line starting "${prefix}"`);
  return [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((x) => FILE_NAME.test(x));
}

/** The first backticked comma list after `label` in `text`. */
function commaList(text: string, label = ''): string[] {
  const from = text.indexOf(label);
  expect(from, `"${label}" in ${text.slice(0, 60)}…`).toBeGreaterThanOrEqual(0);
  const m = /`([A-Za-z_]+(?:,[A-Za-z_]+)+)`/.exec(text.slice(from));
  if (!m) throw new Error(`no column list after "${label}"`);
  return m[1]!.split(',');
}

describe('docs/RUN_FORMAT.md = run-format.ts', () => {
  it('has the format version in its title', () => {
    expect(/^# Run directory format \(version (\d+)\)/.exec(DOC)?.[1]).toBe(String(RUN_FORMAT_VERSION));
  });

  it('lists every file of the format in its table, and no other', () => {
    expect([...fileTable().keys()].sort()).toEqual(Object.values(RUN_FILES).sort());
  });

  it('names the required and the optional files as run-format.ts does', () => {
    expect(listedAfter('Required files')).toEqual([...REQUIRED_RUN_FILES]);
    expect(listedAfter('Optional files').sort()).toEqual(Object.keys(OPTIONAL_RUN_FILES).sort());
    // Every file of the format is exactly one of the two.
    expect([...REQUIRED_RUN_FILES, ...Object.keys(OPTIONAL_RUN_FILES)].sort()).toEqual(Object.values(RUN_FILES).sort());
  });

  it('lists each CSV file\'s columns in order', () => {
    const table = fileTable();
    for (const k of Object.keys(CSV_FILES) as CsvName[]) {
      const cell = table.get(CSV_FILES[k].file);
      expect(cell, CSV_FILES[k].file).toBeDefined();
      expect(commaList(cell!), CSV_FILES[k].file).toEqual(csvColumnNames(k));
    }
  });

  it('lists the fixed equity columns in order and the per-venue column templates in order', () => {
    const cell = fileTable().get(RUN_FILES.equityArrow)!;
    expect(commaList(cell, 'Fixed columns')).toEqual([...EQUITY_FIXED_COLUMNS]);
    const templates = [...cell.matchAll(/`([a-z_]+:<[^`]+>)`/g)].map((m) => m[1]!);
    expect(templates).toEqual([...EQUITY_COLUMN_TEMPLATES]);
  });

  it('lists summary.json metrics and pnl keys in display order', () => {
    const cell = fileTable().get(RUN_FILES.summary)!;
    expect(commaList(cell, 'metrics: `')).toEqual([...METRIC_KEYS]);
    expect(commaList(cell, 'pnl: `')).toEqual([...PNL_COMPONENTS, 'total']);
  });

  it('requires of each CSV all but its later-added columns', () => {
    expect(requiredCsvColumns('trades')).toEqual(['ts', 'venue', 'symbol', 'side', 'qty', 'price', 'fee', 'slippage']);
    expect(requiredCsvColumns('ledger')).toEqual(csvColumnNames('ledger'));
  });
});
