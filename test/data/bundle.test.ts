import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildData } from '../../scripts/build-data.js';
import { readCatalog } from '../../src/data/catalog.js';
import { loadSeries } from '../../src/data/load.js';
import { CRASH_WINDOWS, getCrashWindow } from '../../src/data/windows.js';
import { ROOT, SHARED, iso, itWithShared, tmpDir } from '../support/paths.js';

const DATA = join(ROOT, 'data');

function minOf(a: Float64Array): { v: number; i: number } {
  let v = Infinity;
  let i = -1;
  for (let k = 0; k < a.length; k++) {
    if (a[k]! < v) {
      v = a[k]!;
      i = k;
    }
  }
  return { v, i };
}

describe('bundled data', () => {
  it('stays under the 40 MB budget and every entry has provenance with an upstream origin', () => {
    const cat = readCatalog(DATA);
    expect(cat.entries.length).toBe(54); // incl. the 12 Bybit/OKX 8h bar series, stored at their true opens (04/12/20 UTC)
    expect(cat.entries.reduce((s, e) => s + e.bytes, 0)).toBeLessThan(40e6);
    for (const e of cat.entries) {
      expect(e.provenance.method).toBe('bundle');
      expect(e.provenance.sources.some((s) => / @ [0-9a-f]{40} : /.test(s)), e.path).toBe(true);
      expect(e.provenance.updatedAt).toBe('2026-05-17T00:00:00.000Z');
    }
  });

  it('holds the delta-neutral default inputs around 2025-02-02..2025-02-04', () => {
    const w = { fromMs: iso('2025-02-02T00:00:00Z'), toMs: iso('2025-02-05T00:00:00Z') };
    const spot = loadSeries(DATA, 'binance', 'ETH/USDT', 'ohlcv', '1h', w);
    const perp = loadSeries(DATA, 'binance', 'ETH/USDT:USDT', 'ohlcv', '1h', w);
    const mark = loadSeries(DATA, 'binance', 'ETH/USDT:USDT', 'mark', '1h', w);
    const fund = loadSeries(DATA, 'binance', 'ETH/USDT:USDT', 'funding', undefined, w);
    expect([spot.ts.length, perp.ts.length, mark.ts.length, fund.ts.length]).toEqual([72, 72, 72, 9]);
    // Facts quoted in gap_fill/SOURCES.md and in the 2025-02-03 window description
    expect(spot.columns['open']![0]).toBe(3117.54);
    const lo = minOf(spot.columns['low']!);
    expect([lo.v, spot.ts[lo.i]]).toEqual([2125.01, iso('2025-02-03T02:00:00Z')]);
    expect(minOf(perp.columns['low']!).v).toBe(2080.19);
    expect(minOf(mark.columns['low']!).v).toBeCloseTo(2157.66, 2);
    expect(Array.from(fund.columns['interval_hours']!)).toEqual(new Array(9).fill(8));
  });

  it('matches the facts quoted in the crash-window registry', () => {
    const mar20 = getCrashWindow('2020-03-12');
    const f = loadSeries(DATA, 'binance', 'BTC/USDT:USDT', 'funding', undefined, { fromMs: mar20.startMs, toMs: mar20.endMs });
    const m = minOf(f.columns['rate']!);
    expect([m.v, f.ts[m.i]]).toEqual([-0.003, iso('2020-03-13T08:00:00Z')]);
    const oct = getCrashWindow('2025-10-10');
    const p5 = loadSeries(DATA, 'binance', 'BTC/USDT:USDT', 'ohlcv', '5m', { fromMs: oct.startMs, toMs: oct.endMs });
    const l = minOf(p5.columns['low']!);
    expect([l.v, p5.ts[l.i]]).toEqual([101516.5, iso('2025-10-10T21:20:00Z')]);
    const e5 = loadSeries(DATA, 'binance', 'ETH/USDT:USDT', 'ohlcv', '5m', { fromMs: oct.startMs, toMs: oct.endMs });
    expect(minOf(e5.columns['low']!).v).toBe(3400);
    const spotLow = (sym: string, tf: string, id: string) => {
      const w = getCrashWindow(id);
      const s = loadSeries(DATA, 'binance', sym, 'ohlcv', tf, { fromMs: w.startMs, toMs: w.endMs });
      const x = minOf(s.columns['low']!);
      return [x.v, new Date(s.ts[x.i]!).toISOString().slice(0, 16)];
    };
    expect(spotLow('BTC/USDT', '1h', '2020-03-12')).toEqual([3782.13, '2020-03-13T02:00']);
    expect(spotLow('BTC/USDT', '1h', '2021-05-19')).toEqual([30000, '2021-05-19T13:00']);
    expect(spotLow('BTC/USDT', '1h', '2022-11-ftx')).toEqual([15588, '2022-11-09T23:00']);
    expect(spotLow('ETH/USDT', '1h', '2022-11-ftx')).toEqual([1073.53, '2022-11-09T23:00']);
    expect(spotLow('BTC/USDT', '1h', '2025-10-10')).toEqual([102000, '2025-10-10T21:00']);
    const feb = spotLow('BTC/USDT', '1m', '2026-02-05');
    expect(feb[0]).toBeCloseTo(60184.665, 3);
    expect(feb[1]).toBe('2026-02-06T00:20');
    expect(CRASH_WINDOWS.every((w) => w.endMs > w.startMs)).toBe(true);
  });

  itWithShared('SOURCES.md')('is reproducible: rebuilding from shared/data gives the committed bytes', async () => {
    const out = join(tmpDir('perpcarry-bundle-'), 'data');
    await buildData(SHARED, out, () => {});
    const a = readCatalog(out).entries.map((e) => [e.path, e.sha256]);
    const b = readCatalog(DATA).entries.map((e) => [e.path, e.sha256]);
    expect(a).toEqual(b);
  }, 600_000); // rebuilds every bundled series from ../shared: minutes on a loaded machine
});
