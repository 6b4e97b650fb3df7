import { defaultDataDir, readCatalog } from '../data/catalog.js';

/** Print the catalog as a table or JSON. */
export function listCommand(opts: { dataDir: string | undefined; json: boolean }): void {
  const dataDir = opts.dataDir ?? defaultDataDir();
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
