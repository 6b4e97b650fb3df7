/**
 * Evidence for the time alignment of ../shared/data/multi_venue/all_exchanges.csv (8h bars of
 * Binance, Bybit and OKX, 2023-01 → 2024-07). Run: `npx tsx scripts/check-multivenue-alignment.ts
 * [--source <shared/data>] [--data <bundled data dir>]`.
 *
 * For every (venue, contract, coin, season) group it rebuilds 8h OHLC from the bundled Binance 1h
 * bars (spot 1h for spot rows, USDT-perp 1h for perp and coin-margined rows) starting at
 * `label + offset` for offsets −8 h … +8 h, where `label` is the row's time read as if it were UTC,
 * and prints the median relative error of open/high/low/close per offset. Season: "summer" = the
 * label falls in British Summer Time (Europe/London is UTC+1). It also checks the funding column
 * against independent Binance funding sources (exact equality) and, for Bybit/OKX, the lag at which
 * their rates agree best with Binance's (8 h steps). Read-only: prints a report, writes nothing.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSeriesFile, lowerBound, type LoadedSeries } from '../src/data/store.js';
import { wallTimeToUtc } from '../src/data/import/timestamps.js';

const HOUR_MS = 3_600_000;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** One row of all_exchanges.csv with its label read as naive UTC. */
export interface Row {
  labelMs: number;
  venue: string;
  coin: 'BTC' | 'ETH';
  contract: 'spot' | 'usdt-perp' | 'cm-perp';
  open: number;
  high: number;
  low: number;
  close: number;
  rate: number;
}

/** Parse all_exchanges.csv (plain comma-separated, no quoting). */
export function readAllExchanges(file: string): Row[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const out: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i]!.split(',');
    const pair = c[3]!;
    const contract = pair.includes('/') ? 'spot' : pair.endsWith('CM') ? 'cm-perp' : 'usdt-perp';
    out.push({
      labelMs: Date.parse(c[0]!.replace(' ', 'T') + 'Z'),
      venue: c[1]!,
      coin: pair.startsWith('BTC') ? 'BTC' : 'ETH',
      contract,
      open: Number(c[5]),
      high: Number(c[6]),
      low: Number(c[7]),
      close: Number(c[8]),
      rate: c[10] === '' || c[10] === undefined ? NaN : Number(c[10]),
    });
  }
  return out;
}

/** 8h OHLC from 1h bars [startMs, startMs + 8h); null unless all 8 hours exist. */
export function ohlc8h(ref: LoadedSeries, startMs: number): [number, number, number, number] | null {
  const i = lowerBound(ref.ts, startMs);
  if (i + 8 > ref.ts.length || ref.ts[i] !== startMs || ref.ts[i + 7] !== startMs + 7 * HOUR_MS) return null;
  const o = ref.columns.open!, h = ref.columns.high!, l = ref.columns.low!, c = ref.columns.close!;
  let hi = -Infinity;
  let lo = Infinity;
  for (let k = i; k < i + 8; k++) {
    hi = Math.max(hi, h[k]!);
    lo = Math.min(lo, l[k]!);
  }
  return [o[i]!, hi, lo, c[i + 7]!];
}

/** Median of a list (NaN when empty). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (x: number): string => (Number.isNaN(x) ? '   n/a' : (x * 1e4).toFixed(1).padStart(6));

function main(): void {
  const source = resolve(argValue('--source') ?? join(process.cwd(), '..', 'shared', 'data'));
  const dataDir = resolve(argValue('--data') ?? join(process.cwd(), 'data'));
  const rows = readAllExchanges(join(source, 'multi_venue', 'all_exchanges.csv'));
  const refs: Record<string, LoadedSeries> = {};
  for (const coin of ['BTC', 'ETH']) {
    refs[`${coin}:spot`] = readSeriesFile(join(dataDir, 'binance', `${coin}-USDT`, 'ohlcv-1h.arrow'));
    refs[`${coin}:perp`] = readSeriesFile(join(dataDir, 'binance', `${coin}-USDT-USDT`, 'ohlcv-1h.arrow'));
  }
  // The importer's reading of the label (the ambiguous DST-end hour 2023-10-29 01:00 is BST, 00:00 UTC).
  const summer = (r: Row): boolean => {
    const u = wallTimeToUtc(r.labelMs, 'Europe/London');
    return u.ok && u.ts < r.labelMs;
  };
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.venue.padEnd(7)} ${r.contract.padEnd(9)} ${r.coin} ${summer(r) ? 'summer' : 'winter'}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const offsets: number[] = [];
  for (let o = -8; o <= 8; o++) offsets.push(o);
  process.stdout.write('# OHLC: median relative error (bps) of open/high/low/close vs Binance 1h aggregated over [label+offset, +8h)\n');
  process.stdout.write('# best = offset (h) minimising the median open error; the columns show open|close error per offset\n');
  process.stdout.write(`${'group'.padEnd(32)} rows  best  o@best h@best l@best c@best   ${offsets.map((o) => String(o).padStart(11)).join('')}\n`);
  const rowAgree: string[] = [];
  for (const [key, g] of [...groups].sort()) {
    const ref = refs[`${g[0]!.coin}:${g[0]!.contract === 'spot' ? 'spot' : 'perp'}`]!;
    const errs = offsets.map((off) => {
      const e: number[][] = [[], [], [], []];
      for (const r of g) {
        const b = ohlc8h(ref, r.labelMs + off * HOUR_MS);
        if (!b) continue;
        const v = [r.open, r.high, r.low, r.close];
        for (let k = 0; k < 4; k++) e[k]!.push(Math.abs(v[k]! / b[k]! - 1));
      }
      return e.map(median);
    });
    let best = 0;
    for (let k = 1; k < offsets.length; k++) if (errs[k]![0]! < errs[best]![0]!) best = k;
    // Per row: does the group's best offset also minimise this row's open+close error?
    let agree = 0;
    let rowsWithRef = 0;
    for (const r of g) {
      let bestK = -1;
      let bestE = Infinity;
      for (let k = 0; k < offsets.length; k++) {
        const b = ohlc8h(ref, r.labelMs + offsets[k]! * HOUR_MS);
        if (!b) continue;
        const e = Math.abs(r.open / b[0] - 1) + Math.abs(r.close / b[3] - 1);
        if (e < bestE) {
          bestE = e;
          bestK = k;
        }
      }
      if (bestK < 0) continue;
      rowsWithRef++;
      if (bestK === best) agree++;
    }
    rowAgree.push(`${key}: ${agree}/${rowsWithRef} rows individually best at ${offsets[best]} h`);
    const eb = errs[best]!;
    process.stdout.write(
      `${key.padEnd(32)} ${String(g.length).padStart(4)} ${String(offsets[best]).padStart(5)} ${fmt(eb[0]!)} ${fmt(eb[1]!)} ${fmt(eb[2]!)} ${fmt(eb[3]!)}   ` +
        errs.map((e) => `${fmt(e[0]!).trim()}|${fmt(e[3]!).trim()}`.padStart(11)).join('') + '\n',
    );
  }
  process.stdout.write('\n# per-row check (open+close error minimised over all offsets)\n' + rowAgree.join('\n') + '\n');
  // ---------------- funding ----------------
  const refFunding: Record<string, Map<number, number>> = {};
  const readCsvRates = (file: string, tsCol: number, rateCol: number, isoLocal = false): Map<number, number> => {
    const m = new Map<number, number>();
    const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0);
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i]!.split(',');
      const t = isoLocal ? Date.parse(c[tsCol]!.replace(' ', 'T') + 'Z') : Number(c[tsCol]);
      m.set(Math.round(t / HOUR_MS) * HOUR_MS, Number(c[rateCol]));
    }
    return m;
  };
  refFunding['BTC:usdt-perp'] = readCsvRates(join(source, 'gap_fill/funding/binance_BTCUSDT_funding_2019-09_2026-05_roshan.csv'), 0, 3);
  refFunding['ETH:usdt-perp'] = readCsvRates(join(source, 'gap_fill/funding/binance_ETHUSDT_funding_2019-11_2026-05_roshan.csv'), 0, 3);
  refFunding['BTC:cm-perp'] = readCsvRates(join(source, 'funding/binance_BTCUSD_PERP_funding_2019-2024_utc_normalized.csv'), 0, 4);
  process.stdout.write('\n# funding: rows whose rate equals the Binance reference (|diff| ≤ 1e-8) at ts = label + offset (h), and\n');
  process.stdout.write('# for all venues the median |rate − Binance rate| (1e-6) and the correlation at label + offset\n');
  const fOffsets = [-16, -9, -8, -1, 0, 7, 8];
  process.stdout.write(`${'group'.padEnd(32)} rows ${fOffsets.map((o) => `${o}h: eq / med|d| / corr`.padStart(26)).join('')}\n`);
  for (const [key, g] of [...groups].sort()) {
    if (g[0]!.contract === 'spot') continue;
    const ref = refFunding[`${g[0]!.coin}:${g[0]!.contract}`];
    if (!ref) continue;
    const cells = fOffsets.map((off) => {
      let eq = 0;
      let n = 0;
      const d: number[] = [];
      const xs: number[] = [];
      const ys: number[] = [];
      for (const r of g) {
        if (Number.isNaN(r.rate)) continue;
        const b = ref.get(r.labelMs + off * HOUR_MS);
        if (b === undefined) continue;
        n++;
        if (Math.abs(b - r.rate) <= 1e-8) eq++;
        d.push(Math.abs(b - r.rate));
        xs.push(r.rate);
        ys.push(b);
      }
      return `${eq}/${n} / ${(median(d) * 1e6).toFixed(1)} / ${corr(xs, ys).toFixed(2)}`.padStart(26);
    });
    process.stdout.write(`${key.padEnd(32)} ${String(g.length).padStart(4)} ${cells.join('')}\n`);
  }
  // Bybit/OKX USDT-perp funding vs Binance, by half-year: correlation at settlement = London label + lag.
  process.stdout.write('\n# Bybit/OKX USDT-perp funding: correlation with the Binance rate at (label in Europe/London) + lag, by half-year\n');
  for (const venue of ['bybit', 'okx']) {
    for (const coin of ['BTC', 'ETH'] as const) {
      const ref = refFunding[`${coin}:usdt-perp`]!;
      for (const [name, from, to] of [['2023-H1', '2023-01-01', '2023-07-01'], ['2023-H2', '2023-07-01', '2024-01-01'], ['2024-H1', '2024-01-01', '2024-07-02']] as const) {
        const cells = [-16, -8, 0, 8].map((lag) => {
          const xs: number[] = [];
          const ys: number[] = [];
          for (const r of rows) {
            if (r.venue !== venue || r.coin !== coin || r.contract !== 'usdt-perp' || Number.isNaN(r.rate)) continue;
            if (r.labelMs < Date.parse(from) || r.labelMs >= Date.parse(to)) continue;
            const u = wallTimeToUtc(r.labelMs, 'Europe/London');
            const b = u.ok ? ref.get(u.ts + lag * HOUR_MS) : undefined;
            if (b === undefined) continue;
            xs.push(r.rate);
            ys.push(b);
          }
          return `${lag}h ${corr(xs, ys).toFixed(2)}`;
        });
        process.stdout.write(`${venue.padEnd(6)} ${coin} ${name}: ${cells.join('  ')}\n`);
      }
    }
  }
}

/** Pearson correlation (NaN below 3 points). */
export function corr(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 3) return NaN;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) main();
