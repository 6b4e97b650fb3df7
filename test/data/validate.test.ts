import { describe, expect, it } from 'vitest';
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { importFile, parseSeriesFile } from '../../src/data/import/index.js';
import type { SeriesColumns } from '../../src/data/store.js';
import { barPhaseMs, describeBarPhase, validateSeries, type ValidationReport } from '../../src/data/validate.js';
import { validateArrowFile, validateStore } from '../../src/data/validate-files.js';
import { inspectSeries } from '../../src/data/inspect.js';
import { reindexStore } from '../../src/data/reindex.js';
import { FIX, iso, tmpDir } from '../support/paths.js';

const H = 3_600_000;

function clone(s: SeriesColumns): SeriesColumns {
  const columns: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(s.columns)) columns[k] = v.slice();
  return { ts: s.ts.slice(), columns };
}

function codes(r: ValidationReport): Record<string, string> {
  return Object.fromEntries(r.issues.map((i) => [i.code, i.severity]));
}

async function spot(): Promise<SeriesColumns> {
  return (await parseSeriesFile({ file: join(FIX, 'ETHUSDT_1h_spot_2025-02-02_roshan.csv'), kind: 'ohlcv', timeframe: '1h' })).series;
}
async function mark(): Promise<SeriesColumns> {
  return (await parseSeriesFile({ file: join(FIX, 'ETHUSDT_1h_mark_2025-02-02_roshan.csv'), kind: 'mark', timeframe: '1h' })).series;
}
async function funding(): Promise<SeriesColumns> {
  return (await parseSeriesFile({ file: join(FIX, 'binance_ETHUSDT_funding_2022-11_roshan.csv'), kind: 'funding', columns: { mark_price: 'markPrice_approx_markKline1hOpen' } })).series;
}

describe('validateSeries on real excerpts', () => {
  it('hourly bars declared as 5m are an error (they used to pass as 5m bars with 11 missing after each)', async () => {
    const r = validateSeries(await spot(), 'ohlcv', '5m');
    expect(codes(r)).toEqual({ 'timeframe-mismatch': 'error', gap: 'warning' });
    expect(r.issues[0]!.message).toBe('no two bars are 5m apart (the closest are 1h apart): these look like 1h bars, not 5m (check --timeframe)');
    // one gap in 1h bars, or a series of two bars, is not a mismatch
    const head: SeriesColumns = { ts: Float64Array.of(0, 2 * H, 3 * H), columns: { open: Float64Array.of(1, 1, 1), high: Float64Array.of(1, 1, 1), low: Float64Array.of(1, 1, 1), close: Float64Array.of(1, 1, 1), volume: Float64Array.of(1, 1, 1) } };
    expect(codes(validateSeries(head, 'ohlcv', '1h'))).toEqual({ gap: 'warning' });
    const one = Float64Array.of(1, 1);
    const two: SeriesColumns = { ts: Float64Array.of(0, 5 * H), columns: { open: one, high: one, low: one, close: one, volume: one } };
    expect(codes(validateSeries(two, 'ohlcv', '1h'))).toEqual({ gap: 'warning' });
  });

  it('clean excerpts have no issues', async () => {
    expect(validateSeries(await spot(), 'ohlcv', '1h').issues).toEqual([]);
    expect(validateSeries(await mark(), 'mark', '1h').issues).toEqual([]);
    const f = validateSeries(await funding(), 'funding');
    expect(f.issues).toEqual([]);
    expect(f.ok).toBe(true);
  });

  it('catches each defect class with the right severity and row', async () => {
    const base = await spot();
    const cases: [string, (s: SeriesColumns) => void, string, 'error' | 'warning', number][] = [
      ['duplicate ts', (s) => (s.ts[5] = s.ts[4]!), 'duplicate-ts', 'error', 5],
      ['backwards ts', (s) => ([s.ts[5], s.ts[6]] = [s.ts[6]!, s.ts[5]!]), 'ts-not-increasing', 'error', 6],
      ['NaN close', (s) => (s.columns['close']![3] = NaN), 'nan', 'error', 3],
      ['infinite high', (s) => (s.columns['high']![2] = Infinity), 'infinite', 'error', 2],
      ['zero low', (s) => (s.columns['low']![4] = 0), 'non-positive-price', 'error', 4],
      ['negative open', (s) => (s.columns['open']![1] = -2972.99), 'non-positive-price', 'error', 1],
      ['low above close', (s) => (s.columns['low']![8] = s.columns['close']![8]! + 1), 'ohlc-inconsistent', 'error', 8],
      ['high below open', (s) => (s.columns['high']![9] = s.columns['open']![9]! - 1), 'ohlc-inconsistent', 'error', 9],
      ['bar phase changes', (s) => (s.ts[10] = s.ts[10]! + 60_000), 'bar-phase-change', 'error', 10],
      ['negative volume', (s) => (s.columns['volume']![11] = -1), 'negative-quantity', 'error', 11],
    ];
    for (const [label, inject, code, severity, row] of cases) {
      const s = clone(base);
      inject(s);
      const r = validateSeries(s, 'ohlcv', '1h');
      const it = r.issues.find((x) => x.code === code);
      expect(it, label).toBeDefined();
      expect(it!.severity, label).toBe(severity);
      expect(it!.examples[0]!.row, label).toBe(row);
      expect(r.ok, label).toBe(false);
    }
  });

  it('reports gaps as warnings with the number of missing bars', async () => {
    const s = await spot();
    // drop 3 bars (rows 5..7): 2025-02-02 23:00 .. 2025-02-03 01:00
    const keep = [...Array(s.ts.length).keys()].filter((i) => i < 5 || i > 7);
    const cut: SeriesColumns = { ts: Float64Array.from(keep, (i) => s.ts[i]!), columns: Object.fromEntries(Object.entries(s.columns).map(([k, v]) => [k, Float64Array.from(keep, (i) => v[i]!)])) };
    const r = validateSeries(cut, 'ohlcv', '1h');
    expect(r.ok).toBe(true);
    expect(codes(r)).toEqual({ gap: 'warning' });
    expect(r.issues[0]!.examples[0]!.detail).toBe('3 bar(s) missing after 2025-02-02T22:00:00.000Z');
    expect(inspectSeries(cut, 'ohlcv', '1h').missing).toBe(3);
  });

  it('bars off the UTC grid at a constant phase are valid (info); a phase change inside the series is an error', async () => {
    const base = await spot();
    // The same real bars moved to open at HH:30: every bar keeps the 30-minute phase.
    const off = clone(base);
    for (let i = 0; i < off.ts.length; i++) off.ts[i] = off.ts[i]! + 30 * 60_000;
    const r = validateSeries(off, 'ohlcv', '1h');
    expect(r.ok).toBe(true);
    expect(codes(r)).toEqual({ 'bar-phase': 'info' });
    expect(r.phaseMs).toBe(30 * 60_000);
    expect(r.issues[0]!.message).toBe('1h bars open 30m past the 1h UTC grid (offset 30m from the UTC grid)');
    expect(inspectSeries(off, 'ohlcv', '1h').phase).toBe('1h bars open 30m past the 1h UTC grid (offset 30m from the UTC grid)');
    // On the grid: no phase info, phase 0.
    expect(validateSeries(base, 'ohlcv', '1h').phaseMs).toBe(0);
    expect(inspectSeries(base, 'ohlcv', '1h').phase).toBe('1h bars open on the UTC grid (offset 0)');
    // 8h bars at 04/12/20 UTC (the Bybit/OKX all_exchanges.csv bars), with a gap of one bar: valid.
    const ts8 = [iso('2024-02-27T20:00:00Z'), iso('2024-02-28T04:00:00Z'), iso('2024-02-28T20:00:00Z')];
    const bars8: SeriesColumns = {
      ts: Float64Array.from(ts8),
      columns: { open: Float64Array.of(57400, 56966.9, 57000), high: Float64Array.of(57429, 57100, 57100), low: Float64Array.of(56620.6, 56900, 56900), close: Float64Array.of(56966.9, 57000, 57050), volume: Float64Array.of(1, 1, 1) },
    };
    const r8 = validateSeries(bars8, 'ohlcv', '8h');
    expect(r8.ok).toBe(true);
    expect(codes(r8)).toEqual({ gap: 'warning', 'bar-phase': 'info' });
    expect(r8.issues.find((x) => x.code === 'bar-phase')!.message).toBe('8h bars open at 04/12/20 UTC (offset 4h from the UTC grid)');
    expect(r8.phaseMs).toBe(4 * H);
    // The third bar moved to 00:00 (the Binance grid): 20 h after the second bar = a phase change.
    const bad = clone(bars8);
    bad.ts[2] = iso('2024-02-29T00:00:00Z');
    const rb = validateSeries(bad, 'ohlcv', '8h');
    expect(rb.ok).toBe(false);
    expect(codes(rb)).toEqual({ 'bar-phase-change': 'error' });
    expect(rb.issues[0]!.examples[0]).toEqual({ row: 2, ts: iso('2024-02-29T00:00:00Z'), detail: '2024-02-28T04:00:00.000Z then 2024-02-29T00:00:00.000Z: 72000000 ms apart, not a whole number of 8h bars (phase 4h → 0)' });
    expect(inspectSeries(bad, 'ohlcv', '8h').phaseChanges).toBe(1);
    expect(barPhaseMs(iso('2024-02-27T20:00:00Z'), 8 * H)).toBe(4 * H);
    expect(barPhaseMs(-H, 8 * H)).toBe(7 * H);
    expect(describeBarPhase('4h', 2 * H)).toBe('4h bars open at 02/06/10/14/18/22 UTC (offset 2h from the UTC grid)');
    expect(describeBarPhase('1d', 22 * H)).toBe('1d bars open at 22 UTC (offset 22h from the UTC grid)');
  });

  it('a NaN volume is allowed (nullable), a NaN mark OHLC is not', async () => {
    const s = await spot();
    s.columns['volume']![0] = NaN;
    expect(validateSeries(s, 'ohlcv', '1h').ok).toBe(true);
    const m = await mark();
    m.columns['open']![0] = NaN;
    expect(codes(validateSeries(m, 'mark', '1h'))).toEqual({ nan: 'error' });
  });

  it('funding: implausible and extreme rates, jitter, interval mismatch, interval changes, gaps, bad marks', async () => {
    const base = await funding();
    const run = (inject: (s: SeriesColumns) => void) => {
      const s = clone(base);
      inject(s);
      return validateSeries(s, 'funding');
    };
    // a percent value stored as a decimal: "-0.3" meaning -0.3% lands as -0.3 per 8h
    expect(codes(run((s) => (s.columns['rate']![4] = -0.3)))).toMatchObject({ 'rate-implausible': 'error' });
    expect(codes(run((s) => (s.columns['rate']![4] = 0.01)))).toEqual({ 'rate-extreme': 'warning' });
    expect(codes(run((s) => (s.ts[6] = s.ts[6]! + 6)))).toMatchObject({ 'settlement-jitter': 'warning' });
    const mism = run((s) => (s.ts[6] = s.ts[6]! - 4 * H));
    expect(codes(mism)).toMatchObject({ 'interval-mismatch': 'error' });
    const change = run((s) => {
      // Binance shortened the interval to 4h from row 10 on: settlements every 4h from there
      const t0 = s.ts[9]!;
      for (let i = 10; i < s.ts.length; i++) {
        s.ts[i] = t0 + (i - 9) * 4 * H;
        s.columns['interval_hours']![i] = 4;
      }
    });
    expect(change.ok).toBe(true);
    expect(codes(change)).toEqual({ 'interval-change': 'info' });
    expect(change.issues[0]!.examples[0]!.detail).toBe(`8 h → 4 h at ${new Date(base.ts[9]! + 4 * H).toISOString()}`);
    const gap = run((s) => {
      for (let i = 12; i < s.ts.length; i++) s.ts[i] = s.ts[i]! + 16 * H;
    });
    expect(codes(gap)).toEqual({ gap: 'warning' });
    expect(gap.issues[0]!.examples[0]!.detail).toContain('2 settlement(s) missing');
    expect(codes(run((s) => (s.columns['mark_price']![2] = -1)))).toEqual({ 'non-positive-price': 'error' });
    expect(codes(run((s) => (s.columns['interval_hours']![3] = 3)))).toMatchObject({ 'interval-unusual': 'warning' });
    expect(codes(run((s) => (s.columns['mark_price']![2] = NaN)))).toEqual({ 'mark-null': 'info' });
  });

  it('property: any strictly increasing aligned series of consistent bars (two of them adjacent) validates clean', () => {
    fc.assert(
      fc.property(
        // lo: the bar's low as a multiple of the previous bar's (from 1000): moves up to ×2 a bar stay
        // far inside the ×10 price-jump plausibility factor.
        fc.array(fc.record({ step: fc.integer({ min: 1, max: 3 }), lo: fc.double({ min: 0.5, max: 2, noNaN: true }), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }), w: fc.double({ min: 0, max: 0.2, noNaN: true }) }), { minLength: 1, maxLength: 60 }),
        (bars) => {
          const n = bars.length;
          const s: SeriesColumns = { ts: new Float64Array(n), columns: { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) } };
          let t = iso('2025-02-02T00:00:00Z');
          let lo = 1000;
          // bars 0 and 1 adjacent: 3+ bars never one timeframe apart are a timeframe-mismatch error
          if (n > 1) bars[1]!.step = 1;
          bars.forEach((b, i) => {
            t += b.step * H;
            lo *= b.lo;
            const hi = lo * (1 + b.w);
            s.ts[i] = t;
            s.columns['low']![i] = lo;
            s.columns['high']![i] = hi;
            s.columns['open']![i] = lo + (hi - lo) * b.a;
            s.columns['close']![i] = lo + (hi - lo) * b.b;
          });
          const r = validateSeries(s, 'ohlcv', '1h');
          const missing = bars.slice(1).reduce((acc, b) => acc + b.step - 1, 0);
          return r.ok && r.issues.every((x) => x.code === 'gap') && inspectSeries(s, 'ohlcv', '1h').missing === missing;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('file and catalog validation', () => {
  it('flags a file whose bytes no longer match the catalog, and files missing from it', async () => {
    const dataDir = tmpDir();
    const r = await importFile({ dataDir, venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'mark', timeframe: '1h', file: join(FIX, 'ETHUSDT_1h_mark_2025-02-02_roshan.csv') });
    const abs = join(dataDir, r.entry.path);
    expect(validateStore(dataDir).map((x) => x.ok)).toEqual([true]);
    expect(validateArrowFile(abs, r.entry).issues).toEqual([]);
    // Replace the file with another valid series: the catalog no longer describes it.
    const other = tmpDir();
    const r2 = await importFile({ dataDir: other, venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'mark', timeframe: '1h', file: join(FIX, 'ETHUSDT_1h_mark_2025-02-02_roshan.csv'), toMs: iso('2025-02-02T12:00:00Z') });
    copyFileSync(join(other, r2.entry.path), abs);
    const rep = validateStore(dataDir)[0]!;
    expect(rep.ok).toBe(false);
    expect(rep.issues.map((i) => i.code)).toEqual(expect.arrayContaining(['catalog-sha256', 'catalog-rows']));
    // the files are the source of truth: reindex rebuilds the catalog from their metadata
    const rx = reindexStore(dataDir);
    expect(rx.updated).toEqual([r.entry.path]);
    expect(validateStore(dataDir).map((x) => x.ok)).toEqual([true]);
    expect(JSON.parse(readFileSync(join(dataDir, 'catalog.json'), 'utf8')).entries[0].rows).toBe(12);
    // an Arrow file the catalog does not list
    copyFileSync(abs, join(dataDir, 'binance', 'stray.arrow'));
    expect(validateStore(dataDir).some((x) => x.issues.some((i) => i.code === 'not-in-catalog'))).toBe(true);
    // a catalog entry whose file is gone
    const cat = JSON.parse(readFileSync(join(dataDir, 'catalog.json'), 'utf8')) as { entries: { path: string }[] };
    cat.entries.push({ ...cat.entries[0]!, path: 'binance/ETH-USDT-USDT/mark-5m.arrow' });
    writeFileSync(join(dataDir, 'catalog.json'), JSON.stringify(cat));
    expect(validateStore(dataDir).some((x) => x.issues.some((i) => i.code === 'missing-file'))).toBe(true);
  });
});
