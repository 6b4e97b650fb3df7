/**
 * The notebook of bench/notebook.py as a plain Node script over typed arrays, for machines without
 * python3 + numpy: same inputs, same static hedge, same outputs (equity as raw float64 instead of
 * .npy). Imports nothing from perpcarry, so its process is as small as the Node one can be.
 *
 * Usage: node dist/bench/notebook.js <raw-dir> <out.f64>
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [raw, out] = process.argv.slice(2) as [string, string];
const f64 = (name: string): Float64Array => {
  const b = readFileSync(`${raw}/${name}.f64`);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
};
const ts = f64('ts');
const spot = f64('spot_close');
const perp = f64('perp_close');
const mark = f64('mark_close');
const fts = f64('funding_ts');
const rate = f64('funding_rate');
const n = ts.length;
const capital = 100_000;
const qty = (capital * 0.5) / spot[0]!;
const fees = qty * (spot[0]! * 0.001 + perp[0]! * 0.0005);
const equity = new Float64Array(n);
let j = 0;
let funding = 0;
let settlements = 0;
let peak = -Infinity;
let maxDrawdown = 0;
while (j < fts.length && fts[j]! <= ts[0]! + 60_000) j++;
for (let i = 0; i < n; i++) {
  const close = ts[i]! + 60_000;
  const next = i + 1 < n ? ts[i + 1]! + 60_000 : Infinity;
  // Settlements at or after this close and before the next one are valued at this bar.
  while (j < fts.length && fts[j]! < next && (i + 1 < n || fts[j]! <= close)) {
    funding += qty * mark[i]! * rate[j]!;
    settlements++;
    j++;
  }
  const e = capital - fees + qty * (spot[i]! - spot[0]!) - qty * (perp[i]! - perp[0]!) + funding;
  equity[i] = e;
  if (e > peak) peak = e;
  const dd = e / peak - 1;
  if (dd < maxDrawdown) maxDrawdown = dd;
}
writeFileSync(out, new Uint8Array(equity.buffer));
process.stdout.write(JSON.stringify({ bars: n, settlements, totalReturn: equity[n - 1]! / capital - 1, funding, maxDrawdown }) + '\n');
