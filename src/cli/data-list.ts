import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { defaultDataDir, readCatalog } from '../data/catalog.js';

/**
 * The data directory a reading command uses, which must exist: `data list --data-dir typo` used to
 * print "0 series" with exit 0 and `data reindex` an internal ENOENT. (Import creates a new store.)
 */
export function existingDataDir(dataDir: string | undefined): string {
  const dir = dataDir ?? defaultDataDir();
  const how = dataDir !== undefined ? '--data-dir' : process.env['PERPCARRY_DATA_DIR'] ? '$PERPCARRY_DATA_DIR' : 'default';
  if (!existsSync(dir)) throw new UserError(`data directory ${resolve(dir)} (${how}) does not exist`);
  if (!statSync(dir).isDirectory()) throw new UserError(`data directory ${resolve(dir)} (${how}) is not a directory`);
  return dir;
}

/** Print the catalog as a table or JSON. */
export function listCommand(opts: { dataDir: string | undefined; json: boolean }): void {
  const dataDir = existingDataDir(opts.dataDir);
  const cat = readCatalog(dataDir);
  if (opts.json) {
    process.stdout.write(JSON.stringify(cat.entries, null, 2) + '\n');
    return;
  }
  const rows = cat.entries.map((e) => [e.venue, e.symbol, e.kind, e.timeframe ?? '-', e.firstIso.slice(0, 16), e.lastIso.slice(0, 16), String(e.rows), String(e.gaps)]);
  const head = ['venue', 'symbol', 'kind', 'tf', 'first (UTC)', 'last (UTC)', 'rows', 'gaps'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write(fmt(head) + '\n' + rows.map(fmt).join('\n') + (rows.length ? '\n' : ''));
  process.stdout.write(`${rows.length} series in ${dataDir}\n`);
}
