/**
 * The typical runs documented in docs/strategies.md (its table's last column), shared by the tests
 * that run each of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** `[strategy, args]` for each row of the typical-runs table in docs/strategies.md (args without `--strategy`). */
export function documentedRuns(): [string, string[]][] {
  const doc = readFileSync(join(ROOT, 'docs', 'strategies.md'), 'utf8');
  const rows: [string, string[]][] = [];
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z0-9-]+)` \|.*\| `(--[^`]+)` \|$/.exec(line);
    if (m) rows.push([m[1]!, m[2]!.trim().split(/\s+/)]);
  }
  return rows;
}
