/**
 * Time alignment of the 2023-01 → 2024-07 multi-venue 8h bars (../shared/data/multi_venue/all_exchanges.csv):
 * Binance rows open at their Europe/London label, Bybit and OKX rows 4 h earlier
 * (ALL_EX_BAR_OPEN_SHIFT_MS, evidence in scripts/check-multivenue-alignment.ts and docs/bundled-data.md).
 * Reference: the bundled Binance 1h bars (data/binance/*), which are committed with the repo.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_EX_BAR_OPEN_SHIFT_MS } from '../../scripts/build-data.js';
import { corr, median, ohlc8h, readAllExchanges } from '../../scripts/check-multivenue-alignment.js';
import { readCatalog } from '../../src/data/catalog.js';
import { parseCsv, parseSeriesTable } from '../../src/data/import/index.js';
import { wallTimeToUtc } from '../../src/data/import/timestamps.js';
import { readSeriesFile, lowerBound, type LoadedSeries } from '../../src/data/store.js';
import { ROOT, SHARED, iso, itWithShared, sharedFileOrNull } from '../support/paths.js';

const H = 3_600_000;
const DATA = join(ROOT, 'data');
const perp1h: Record<'BTC' | 'ETH', LoadedSeries> = {
  BTC: readSeriesFile(join(DATA, 'binance', 'BTC-USDT-USDT', 'ohlcv-1h.arrow')),
  ETH: readSeriesFile(join(DATA, 'binance', 'ETH-USDT-USDT', 'ohlcv-1h.arrow')),
};
const spot1h: Record<'BTC' | 'ETH', LoadedSeries> = {
  BTC: readSeriesFile(join(DATA, 'binance', 'BTC-USDT', 'ohlcv-1h.arrow')),
  ETH: readSeriesFile(join(DATA, 'binance', 'ETH-USDT', 'ohlcv-1h.arrow')),
};

/** Relative error |a/b − 1| of a row value against the Binance 8h aggregate starting at `startMs`. */
function relErr(ref: LoadedSeries, startMs: number, open: number, close: number): { open: number; close: number } {
  const b = ohlc8h(ref, startMs);
  if (!b) throw new Error(`no complete Binance 1h data for ${new Date(startMs).toISOString()}`);
  return { open: Math.abs(open / b[0] - 1), close: Math.abs(close / b[3] - 1) };
}

// Real rows copied verbatim from all_exchanges.csv: a winter row (the one the strategies engineer
// reported) and two summer (BST-labelled) rows of the 2023-08-17 crash.
const EXCERPT = `time,exchange,crypto,pair,contract,open,high,low,close,volume,funding rate
2023-08-17 17:00:00,bybit,bitcoin,BTCUSDT,perpetual,28545.9,28570.0,27625.0,27894.0,119608.187,0.0001
2023-08-17 17:00:00,okx,bitcoin,BTCUSDT,perpetual,28550.9,28581.9,27650.0,27900.4,153210.61,0.000199986870681
2023-08-18 01:00:00,bybit,bitcoin,BTCUSDT,perpetual,27894.0,27917.0,24200.9,26385.1,194159.396,6.393e-05
2023-08-18 01:00:00,okx,bitcoin,BTCUSDT,perpetual,27900.3,27928.3,24098.6,26403.0,188548.83,2.60879887998e-05
2024-02-28 00:00:00,bybit,bitcoin,BTCUSDT,perpetual,57400.0,57429.0,56620.6,56966.9,29310.551,0.00023372
2024-02-28 00:00:00,okx,bitcoin,BTCUSDT,perpetual,57362.4,57387.9,56560.0,56928.0,30413.8,0.000340046238997
`;

describe('all_exchanges.csv Bybit/OKX 8h bars open 4 h before their Europe/London label (bundled at that true open)', () => {
  it('hand-picked BTC perp rows: opens/closes equal the Binance 1h perp at the corrected times within 10 bps, and miss them by > 40 bps at the label', () => {
    const table = parseCsv('all_exchanges_excerpt.csv', EXCERPT);
    for (const venue of ['bybit', 'okx'] as const) {
      const p = parseSeriesTable(table, { kind: 'ohlcv', timeframe: '8h', timezone: 'Europe/London', where: { exchange: venue } });
      const ts = Array.from(p.series.ts);
      // The importer reads the labels as 2023-08-17 16:00, 2023-08-18 00:00 (BST) and 2024-02-28 00:00 UTC.
      expect(ts).toEqual([iso('2023-08-17T16:00:00Z'), iso('2023-08-18T00:00:00Z'), iso('2024-02-28T00:00:00Z')]);
      const trueOpen = ts.map((t) => t + ALL_EX_BAR_OPEN_SHIFT_MS[venue]);
      expect(trueOpen).toEqual([iso('2023-08-17T12:00:00Z'), iso('2023-08-17T20:00:00Z'), iso('2024-02-27T20:00:00Z')]);
      for (let k = 0; k < ts.length; k++) {
        const o = p.series.columns['open']![k]!;
        const c = p.series.columns['close']![k]!;
        // 10 bps: over all 2,863 BTC/ETH USDT-perp rows per venue the median gap to Binance at the right
        // time is 1.0–1.7 bps (Bybit) and 3.6–4.6 bps (OKX); these rows are 0.3–6.5 bps. Any other
        // alignment has medians ≥ 14.9 bps, and these volatile rows miss by 50–485 bps at the label.
        const right = relErr(perp1h.BTC, trueOpen[k]!, o, c);
        expect(right.open, `${venue} row ${k} open`).toBeLessThan(10e-4);
        expect(right.close, `${venue} row ${k} close`).toBeLessThan(10e-4);
        const atLabel = relErr(perp1h.BTC, ts[k]!, o, c);
        expect(Math.max(atLabel.open, atLabel.close), `${venue} row ${k} at the label`).toBeGreaterThan(40e-4);
      }
    }
    // The reported row, by hand: Bybit "2024-02-28 00:00" opens at 57400.0; Binance's 1h perp bar of
    // 2024-02-27 20:00 UTC opens at 57390.7 (1.6 bps), its 00:00 bar at 57074.5 (57 bps).
    const i20 = lowerBound(perp1h.BTC.ts, iso('2024-02-27T20:00:00Z'));
    const i00 = lowerBound(perp1h.BTC.ts, iso('2024-02-28T00:00:00Z'));
    expect(perp1h.BTC.columns['open']![i20]).toBe(57390.7);
    expect(perp1h.BTC.columns['open']![i00]).toBe(57074.5);
  });

  it('the bundle carries Binance 8h bars at their label and Bybit/OKX 8h bars at the corrected opens (04/12/20 UTC), row for row', () => {
    const cat = readCatalog(DATA);
    const paths = cat.entries.map((e) => e.path);
    const notes = (p: string): string => (cat.entries.find((e) => e.path === p)!.provenance.notes ?? []).join(' ');
    const allEx = sharedFileOrNull('multi_venue/all_exchanges.csv');
    const rows = allEx === null ? null : readAllExchanges(allEx);
    const pairOf = { 'BTC-USDT': ['spot', 'BTC'], 'BTC-USDT-USDT': ['usdt-perp', 'BTC'], 'BTC-USD-BTC': ['cm-perp', 'BTC'], 'ETH-USDT': ['spot', 'ETH'], 'ETH-USDT-USDT': ['usdt-perp', 'ETH'], 'ETH-USD-ETH': ['cm-perp', 'ETH'] } as const;
    for (const venue of ['bybit', 'okx'] as const) {
      for (const dir of ['BTC-USDT-USDT', 'ETH-USDT-USDT', 'BTC-USD-BTC', 'ETH-USD-ETH']) expect(paths).toContain(`${venue}/${dir}/funding.arrow`);
      for (const [dir, [contract, coin]] of Object.entries(pairOf)) {
        const rel = `${venue}/${dir}/ohlcv-8h.arrow`;
        expect(paths).toContain(rel);
        expect(notes(rel)).toContain('SHIFTED to the true open');
        const s = readSeriesFile(join(DATA, rel));
        expect(s.ts.length, rel).toBe(1642);
        expect(s.ts[0], rel).toBe(iso('2022-12-31T20:00:00Z'));
        // Every bar opens at 04/12/20 UTC, 8 h after the previous one.
        for (let i = 0; i < s.ts.length; i++) {
          expect(((s.ts[i]! % (8 * H)) + 8 * H) % (8 * H), `${rel} row ${i}`).toBe(4 * H);
          if (i > 0) expect(s.ts[i]! - s.ts[i - 1]!, `${rel} row ${i}`).toBe(8 * H);
        }
        if (!rows) continue;
        // Row for row: the stored bar at t is the upstream row whose Europe/London label is t + 4 h.
        const src = rows.filter((r) => r.venue === venue && r.contract === contract && r.coin === coin);
        expect(src.length, rel).toBe(1642);
        for (const r of src) {
          const u = wallTimeToUtc(r.labelMs, 'Europe/London');
          if (!u.ok) throw new Error(u.reason);
          const k = lowerBound(s.ts, u.ts + ALL_EX_BAR_OPEN_SHIFT_MS[venue]);
          expect(s.ts[k], rel).toBe(u.ts - 4 * H);
          expect(s.columns['open']![k], rel).toBe(r.open);
        }
      }
    }
    // The reported row: Bybit BTC perp labelled 2024-02-28 00:00 is stored at 2024-02-27 20:00 UTC with open 57400.0.
    const by = readSeriesFile(join(DATA, 'bybit', 'BTC-USDT-USDT', 'ohlcv-8h.arrow'));
    const j = lowerBound(by.ts, iso('2024-02-27T20:00:00Z'));
    expect(by.ts[j]).toBe(iso('2024-02-27T20:00:00Z'));
    expect(by.columns['open']![j]).toBe(57400.0);
    for (const dir of ['BTC-USDT', 'BTC-USDT-USDT', 'BTC-USD-BTC', 'ETH-USDT', 'ETH-USDT-USDT', 'ETH-USD-ETH']) expect(paths).toContain(`binance/${dir}/ohlcv-8h.arrow`);
    expect(notes('binance/BTC-USDT-USDT/ohlcv-8h.arrow')).toContain('spot and USDT-perp opens/highs/lows/closes equal the 1h klines');
    expect(notes('bybit/BTC-USDT-USDT/funding.arrow')).toContain('unlike the Bybit 8h bars (stored at 04/12/20 UTC) it is not shifted');
    expect(notes('okx/BTC-USDT-USDT/funding.arrow')).toContain('TIMING UNVERIFIED');
    // Binance bundled 8h perp = the 1h klines aggregated from the same ts, exactly, on all 1,642 rows
    // except one close: 2023-11-10 08:00 closes at 37118.4 where the 15:00 1h bar closes (and the next
    // 8h bar opens) at 37092.6, an upstream kline quirk, not a time shift (open/high/low match).
    const b8 = readSeriesFile(join(DATA, 'binance', 'BTC-USDT-USDT', 'ohlcv-8h.arrow'));
    const mismatched: string[] = [];
    for (let i = 0; i < b8.ts.length; i++) {
      const agg = ohlc8h(perp1h.BTC, b8.ts[i]!);
      if (!agg) throw new Error(`no 1h data for ${new Date(b8.ts[i]!).toISOString()}`);
      const row = [b8.columns['open']![i], b8.columns['high']![i], b8.columns['low']![i], b8.columns['close']![i]];
      row.forEach((v, k) => {
        if (v !== agg[k]) mismatched.push(`${new Date(b8.ts[i]!).toISOString()} ${'ohlc'[k]} ${v} vs ${agg[k]}`);
      });
    }
    expect(b8.ts.length).toBe(1642);
    expect(mismatched).toEqual(['2023-11-10T08:00:00.000Z c 37118.4 vs 37092.6']);
  });

  itWithShared('multi_venue/all_exchanges.csv')(
    'every venue × contract × coin group: the shift minimises the median open error, below 7 bps',
    () => {
      const rows = readAllExchanges(join(SHARED, 'multi_venue', 'all_exchanges.csv'));
      const groups = new Map<string, typeof rows>();
      for (const r of rows) {
        const key = `${r.venue} ${r.contract} ${r.coin}`;
        const g = groups.get(key) ?? [];
        g.push(r);
        groups.set(key, g);
      }
      expect(groups.size).toBe(18);
      for (const [key, g] of groups) {
        const venue = g[0]!.venue as keyof typeof ALL_EX_BAR_OPEN_SHIFT_MS;
        const ref = (g[0]!.contract === 'spot' ? spot1h : perp1h)[g[0]!.coin];
        const medianAt = (extraMs: number): number => {
          const e: number[] = [];
          for (const r of g) {
            const u = wallTimeToUtc(r.labelMs, 'Europe/London');
            if (!u.ok) throw new Error(u.reason);
            const b = ohlc8h(ref, u.ts + ALL_EX_BAR_OPEN_SHIFT_MS[venue] + extraMs);
            if (b) e.push(Math.abs(r.open / b[0] - 1));
          }
          return median(e);
        };
        const best = medianAt(0);
        // Measured maxima: Binance spot/perp 0, Bybit/OKX spot 0.7, perps 4.6, coin-margined 6.5 bps.
        expect(best, key).toBeLessThan(7e-4);
        if (venue === 'binance' && g[0]!.contract !== 'cm-perp') expect(best, key).toBe(0);
        for (let d = -8; d <= 8; d++) if (d !== 0) expect(medianAt(d * H), `${key} at ${d} h`).toBeGreaterThan(best + 8e-4);
      }
    },
  );
  itWithShared('multi_venue/all_exchanges.csv', 'gap_fill/funding/binance_BTCUSDT_funding_2019-09_2026-05_roshan.csv', 'gap_fill/funding/binance_ETHUSDT_funding_2019-11_2026-05_roshan.csv')(
    'funding: Binance equals the API at the label; Bybit agrees best with Binance at the same settlement, OKX 8–16 h later',
    () => {
      const rows = readAllExchanges(join(SHARED, 'multi_venue', 'all_exchanges.csv'));
      for (const coin of ['BTC', 'ETH'] as const) {
        const api = new Map<number, number>();
        const file = join(SHARED, 'gap_fill', 'funding', `binance_${coin}USDT_funding_${coin === 'BTC' ? '2019-09' : '2019-11'}_2026-05_roshan.csv`);
        for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
          const c = line.split(',');
          api.set(Math.round(Number(c[0]) / H) * H, Number(c[3]));
        }
        const corrAt = (venue: string, lagMs: number): { r: number; equal: number; n: number } => {
          const xs: number[] = [];
          const ys: number[] = [];
          let equal = 0;
          for (const row of rows) {
            if (row.venue !== venue || row.coin !== coin || row.contract !== 'usdt-perp') continue;
            const u = wallTimeToUtc(row.labelMs, 'Europe/London');
            const b = u.ok ? api.get(u.ts + lagMs) : undefined;
            if (b === undefined) continue;
            xs.push(row.rate);
            ys.push(b);
            if (Math.abs(b - row.rate) <= 1e-8) equal++;
          }
          return { r: corr(xs, ys), equal, n: xs.length };
        };
        const bin = corrAt('binance', 0);
        expect(bin.n).toBe(1642);
        expect(bin.equal).toBe(1642);
        const bybit = corrAt('bybit', 0).r;
        for (const lag of [-16, -8, 8]) expect(bybit, `bybit ${coin} vs ${lag} h`).toBeGreaterThan(corrAt('bybit', lag * H).r + 0.05);
        // OKX: best one or two settlements earlier (see OKX_FUNDING_NOTE): timing left unverified.
        expect(Math.max(corrAt('okx', -8 * H).r, corrAt('okx', -16 * H).r), `okx ${coin}`).toBeGreaterThan(corrAt('okx', 0).r);
      }
    },
  );
});
