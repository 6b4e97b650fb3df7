/**
 * `data fetch` end to end against the loopback exchange emulator: real ccxt, real HTTP on
 * 127.0.0.1, real Arrow files. Every test checks the stored rows against the rows the emulator
 * serves (real exchange values), row for row.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCatalog } from '../../../src/data/catalog.js';
import { readSeriesFile } from '../../../src/data/store.js';
import { runFetch, type FetchOptions, type FetchSummary } from '../../../src/data/fetch/fetch.js';
import { FetchFailedError } from '../../../src/data/fetch/exchange.js';
import { startEmulator, type Emulator } from './emulator/server.js';
import type { Candle, EmulatedVenue, FundingRow } from './emulator/datasets.js';

const H = 3_600_000;
const T = (iso: string): number => Date.parse(iso);
const NOW = T('2026-11-01T00:00:00Z');
const FAST = { retries: 4, backoffMs: 20, maxBackoffMs: 5_000, timeoutMs: 1_000 };

let emu: Emulator;
const dirs: string[] = [];
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeEach(() => {
  emu.reset();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'perpcarry-fetch-'));
  dirs.push(d);
  return d;
}

function fetchTo(dataDir: string, o: Partial<FetchOptions> & { exchange: string; symbol: string; since: string; until: string }): Promise<FetchSummary> {
  return runFetch({
    dataDir,
    kinds: ['funding', 'ohlcv'],
    timeframe: '1h',
    sinceMs: T(o.since),
    untilMs: T(o.until),
    apiBase: emu.base,
    pageLimit: 10,
    flushRows: 1,
    retry: FAST,
    nowMs: NOW,
    ...o,
  });
}

const served = <R extends { t: number }>(rows: R[], from: number, to: number): R[] =>
  rows.filter((r) => r.t >= from && r.t < to && !(emu.faults.holes ?? []).some(([a, b]) => r.t >= a && r.t < b));

function expectCandles(dataDir: string, rel: string, want: Candle[], withVolume: boolean): void {
  const s = readSeriesFile(join(dataDir, rel));
  expect(Array.from(s.ts)).toEqual(want.map((c) => c.t));
  expect(Array.from(s.columns['open']!)).toEqual(want.map((c) => c.o));
  expect(Array.from(s.columns['high']!)).toEqual(want.map((c) => c.h));
  expect(Array.from(s.columns['low']!)).toEqual(want.map((c) => c.l));
  expect(Array.from(s.columns['close']!)).toEqual(want.map((c) => c.c));
  if (withVolume) expect(Array.from(s.columns['volume']!)).toEqual(want.map((c) => c.v));
}

function expectFunding(dataDir: string, rel: string, want: FundingRow[], intervalHours: number[] | number, withMark: boolean): void {
  const s = readSeriesFile(join(dataDir, rel));
  expect(Array.from(s.ts)).toEqual(want.map((r) => Math.round(r.t / H) * H));
  expect(Array.from(s.columns['rate']!)).toEqual(want.map((r) => r.rate));
  const iv = Array.isArray(intervalHours) ? intervalHours : want.map(() => intervalHours);
  expect(Array.from(s.columns['interval_hours']!)).toEqual(iv);
  const mark = Array.from(s.columns['mark_price']!);
  if (withMark) expect(mark).toEqual(want.map((r) => r.mark));
  else expect(mark.every((x) => Number.isNaN(x))).toBe(true);
}

/** Every row of every series file in a data dir, for whole-store comparisons. */
function storeRows(dataDir: string): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const e of readCatalog(dataDir).entries) {
    const s = readSeriesFile(join(dataDir, e.path));
    out[e.path] = [Array.from(s.ts), ...Object.keys(s.columns).sort().map((c) => Array.from(s.columns[c]!))];
  }
  return out;
}

describe('data fetch per venue (no faults)', () => {
  it('binance: funding with markPrice, perp/mark/index/spot 1h, open interest 4h; provenance in the catalog', async () => {
    const dir = tmp();
    const [from, to] = [T('2025-10-08T00:00:00Z'), T('2025-10-12T00:00:00Z')];
    const sum = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-12', kinds: ['funding', 'ohlcv', 'mark', 'index'], withSpot: true, pageLimit: 50 });
    const d = emu.data.binance;
    expectFunding(dir, 'binance/BTC-USDT-USDT/funding.arrow', served(d.funding, from, to), 8, true);
    expectCandles(dir, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow', served(d.perp, from, to), true);
    expectCandles(dir, 'binance/BTC-USDT-USDT/mark-1h.arrow', served(d.mark, from, to), false);
    expectCandles(dir, 'binance/BTC-USDT-USDT/index-1h.arrow', served(d.index, from, to), false);
    expectCandles(dir, 'binance/BTC-USDT/ohlcv-1h.arrow', served(d.spot, from, to), true);
    // hand-checked values (gap_fill/*/BTCUSDT_1h_*_roshan.csv, zushen funding row 2025-10-10T16:00:00.014Z)
    const perp = readSeriesFile(join(dir, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'));
    const i = Array.from(perp.ts).indexOf(T('2025-10-10T21:00:00Z'));
    expect([perp.columns['open']![i], perp.columns['high']![i], perp.columns['low']![i], perp.columns['close']![i], perp.columns['volume']![i]]).toEqual([
      114200.4, 115075.6, 101516.5, 113253.6, 131850.219,
    ]);
    const f = readSeriesFile(join(dir, 'binance/BTC-USDT-USDT/funding.arrow'));
    const j = Array.from(f.ts).indexOf(T('2025-10-10T16:00:00Z'));
    expect([f.columns['rate']![j], f.columns['interval_hours']![j], f.columns['mark_price']![j]]).toEqual([0.00001013, 8, 118962.1]);
    expect(f.ts.length).toBe(12); // 4 days × 3 settlements
    expect(perp.ts.length).toBe(96);

    const cat = readCatalog(dir);
    const e = cat.entries.find((x) => x.path === 'binance/BTC-USDT-USDT/funding.arrow')!;
    expect(e.provenance.method).toBe('fetch');
    expect(e.provenance.details).toMatchObject({ exchange: 'binance', method: 'fetchFundingRateHistory', ccxtVersion: sum.ccxtVersion, fetchedAt: '2026-11-01T00:00:00.000Z', apiBase: emu.base });
    expect(JSON.parse(e.provenance.details!['params']!)).toMatchObject({ symbol: 'BTC/USDT:USDT', since: '2025-10-08T00:00:00.000Z', until: '2025-10-12T00:00:00.000Z' });
    expect(sum.ccxtVersion).toMatch(/^4\.5\.\d+$/);
    expect(cat.entries.find((x) => x.path === 'binance/BTC-USDT-USDT/mark-1h.arrow')!.provenance.details!['params']).toContain('"price":"mark"');
    expect(e.provenance.sources).toEqual(['ccxt binance.fetchFundingRateHistory(BTC/USDT:USDT) 2025-10-08T00:00:00.000Z → 2025-10-12T00:00:00.000Z']);
    expect(e.rows).toBe(12);
    expect(e.gaps).toBe(0);
    // data validate ran on every fetched file and found it clean
    expect(sum.series.map((x) => [x.symbol, x.kind, x.validation?.ok, x.validation?.errors, x.validation?.warnings])).toEqual([
      ['BTC/USDT:USDT', 'funding', true, 0, 0],
      ['BTC/USDT:USDT', 'ohlcv', true, 0, 0],
      ['BTC/USDT:USDT', 'mark', true, 0, 0],
      ['BTC/USDT:USDT', 'index', true, 0, 0],
      ['BTC/USDT', 'ohlcv', true, 0, 0],
    ]);

    // open interest: Binance openInterestHist, 4h
    const oiDir = tmp();
    const [oFrom, oTo] = [T('2026-02-21T00:00:00Z'), T('2026-03-01T00:00:00Z')];
    await fetchTo(oiDir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2026-02-21', until: '2026-03-01', kinds: ['open_interest'], timeframe: '4h' });
    const oi = readSeriesFile(join(oiDir, 'binance/BTC-USDT-USDT/open_interest-4h.arrow'));
    const wantOi = served(d.oi, oFrom, oTo);
    expect(wantOi.length).toBe(48);
    expect(Array.from(oi.ts)).toEqual(wantOi.map((r) => r.t));
    expect(Array.from(oi.columns['oi_qty']!)).toEqual(wantOi.map((r) => r.qty));
    expect(Array.from(oi.columns['oi_notional']!)).toEqual(wantOi.map((r) => r.value));
  });

  it('bybit: newest-first pages of funding (no mark price), perp/mark/index and spot', async () => {
    const dir = tmp();
    const [from, to] = [T('2025-10-08T00:00:00Z'), T('2025-10-12T00:00:00Z')];
    await fetchTo(dir, { exchange: 'bybit', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-12', kinds: ['funding', 'ohlcv', 'mark', 'index'], withSpot: true, pageLimit: 30 });
    const d = emu.data.bybit;
    expectFunding(dir, 'bybit/BTC-USDT-USDT/funding.arrow', served(d.funding, from, to), 8, false);
    expectCandles(dir, 'bybit/BTC-USDT-USDT/ohlcv-1h.arrow', served(d.perp, from, to), true);
    expectCandles(dir, 'bybit/BTC-USDT-USDT/mark-1h.arrow', served(d.mark, from, to), false);
    expectCandles(dir, 'bybit/BTC-USDT-USDT/index-1h.arrow', served(d.index, from, to), false);
    expectCandles(dir, 'bybit/BTC-USDT/ohlcv-1h.arrow', served(d.spot, from, to), true);
    const f = readSeriesFile(join(dir, 'bybit/BTC-USDT-USDT/funding.arrow'));
    expect(f.columns['rate']![Array.from(f.ts).indexOf(T('2025-10-10T16:00:00Z'))]).toBe(0.00004578);
    // open interest (v5/market/open-interest, newest first; qty in BTC for a linear contract)
    const [oFrom, oTo] = [T('2026-02-21T00:00:00Z'), T('2026-02-25T00:00:00Z')];
    await fetchTo(dir, { exchange: 'bybit', symbol: 'BTC/USDT:USDT', since: '2026-02-21', until: '2026-02-25', kinds: ['open_interest'], timeframe: '4h', pageLimit: 5 });
    const oi = readSeriesFile(join(dir, 'bybit/BTC-USDT-USDT/open_interest-4h.arrow'));
    const wantOi = served(d.oi, oFrom, oTo);
    expect(wantOi.length).toBe(24);
    expect(Array.from(oi.ts)).toEqual(wantOi.map((r) => r.t));
    expect(Array.from(oi.columns['oi_qty']!)).toEqual(wantOi.map((r) => r.qty));
  });

  it('stores only closed bars and settled funding when the range reaches now', async () => {
    const dir = tmp();
    const sum = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-12', nowMs: T('2025-10-09T05:30:00Z'), pageLimit: 50 });
    const perp = readSeriesFile(join(dir, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'));
    expect(perp.ts.length).toBe(29); // 10-08 00:00 … 10-09 04:00 (closes 05:00); the 05:00 bar is still open
    expect(perp.ts[28]).toBe(T('2025-10-09T04:00:00Z'));
    const f = readSeriesFile(join(dir, 'binance/BTC-USDT-USDT/funding.arrow'));
    expect(f.ts.at(-1)).toBe(T('2025-10-09T00:00:00Z'));
    expect(sum.series.find((x) => x.kind === 'ohlcv')!.ranges).toEqual([['2025-10-08T00:00:00.000Z', '2025-10-09T05:00:00.000Z']]);
  });

  it('okx: exclusive before/after cursors, history candles, index by instFamily', async () => {
    const dir = tmp();
    const [from, to] = [T('2026-02-04T00:00:00Z'), T('2026-02-08T00:00:00Z')];
    await fetchTo(dir, { exchange: 'okx', symbol: 'BTC/USDT:USDT', since: '2026-02-04', until: '2026-02-08', kinds: ['funding', 'ohlcv', 'mark', 'index', 'open_interest'], withSpot: true, pageLimit: 30 });
    const d = emu.data.okx;
    expectFunding(dir, 'okx/BTC-USDT-USDT/funding.arrow', served(d.funding, from, to), 8, false);
    expectCandles(dir, 'okx/BTC-USDT-USDT/ohlcv-1h.arrow', served(d.perp, from, to), false);
    expectCandles(dir, 'okx/BTC-USDT-USDT/mark-1h.arrow', served(d.mark, from, to), false);
    expectCandles(dir, 'okx/BTC-USDT-USDT/index-1h.arrow', served(d.index, from, to), false);
    expectCandles(dir, 'okx/BTC-USDT/ohlcv-1h.arrow', served(d.spot, from, to), false);
    const perp = readSeriesFile(join(dir, 'okx/BTC-USDT-USDT/ohlcv-1h.arrow'));
    const i = Array.from(perp.ts).indexOf(T('2026-02-05T21:00:00Z'));
    expect([perp.columns['open']![i], perp.columns['low']![i], perp.columns['close']![i]]).toEqual([63749.4, 62855.3, 63200.1]);
    const f = readSeriesFile(join(dir, 'okx/BTC-USDT-USDT/funding.arrow'));
    expect(f.columns['rate']![Array.from(f.ts).indexOf(T('2026-02-05T16:00:00Z'))]).toBe(0.0000127569790646);
    expect(existsSync(join(dir, 'okx/BTC-USDT-USDT/open_interest-1h.arrow'))).toBe(false);
  });

  it('hyperliquid: hourly funding with ms jitter, perp candles; mark/index reported as unsupported', async () => {
    const dir = tmp();
    const [from, to] = [T('2025-03-10T00:00:00Z'), T('2025-03-12T00:00:00Z')];
    const sum = await fetchTo(dir, { exchange: 'hyperliquid', symbol: 'BTC/USDC:USDC', since: '2025-03-10', until: '2025-03-12', kinds: ['funding', 'ohlcv', 'mark', 'index'], pageLimit: 30 });
    const d = emu.data.hyperliquid;
    const want = served(d.funding, from, to);
    expect(want.length).toBe(48);
    expect(want.some((r) => r.t % H !== 0)).toBe(true); // the wire has jitter
    expectFunding(dir, 'hyperliquid/BTC-USDC-USDC/funding.arrow', want, 1, false);
    expectCandles(dir, 'hyperliquid/BTC-USDC-USDC/ohlcv-1h.arrow', served(d.perp, from, to), true);
    const perp = readSeriesFile(join(dir, 'hyperliquid/BTC-USDC-USDC/ohlcv-1h.arrow'));
    expect(perp.columns['low']![Array.from(perp.ts).indexOf(T('2025-03-10T13:00:00Z'))]).toBe(81400);
    expect(sum.series.filter((x) => x.skipped).map((x) => x.kind)).toEqual(['mark', 'index']);
  });
});

describe('data fetch with injected faults (mostly binance, 3 days, 10 rows per page)', () => {
  const since = '2025-10-08';
  const until = '2025-10-11';
  const [from, to] = [T('2025-10-08T00:00:00Z'), T('2025-10-11T00:00:00Z')];
  const expectAll = (dir: string, venue: EmulatedVenue = 'binance'): void => {
    const d = emu.data[venue];
    expectFunding(dir, `${venue}/BTC-USDT-USDT/funding.arrow`, served(d.funding, from, to), 8, venue === 'binance');
    expectCandles(dir, `${venue}/BTC-USDT-USDT/ohlcv-1h.arrow`, served(d.perp, from, to), true);
  };

  it('429 with Retry-After: waits at least Retry-After, then completes', async () => {
    emu.faults = { at: { 3: { type: '429', retryAfterSec: 1 } } };
    const dir = tmp();
    const sum = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until });
    expectAll(dir);
    expect(sum.retries).toBeGreaterThanOrEqual(1); // (more only if a loaded CI box times a request out)
    const k = emu.log.findIndex((r) => r.status === 429);
    expect(emu.log[k + 1]!.params).toEqual(emu.log[k]!.params); // same window retried
    expect(emu.log[k + 1]!.atMs - emu.log[k]!.atMs).toBeGreaterThanOrEqual(1000);
  });

  it('500s, a connection reset, truncated JSON and a response slower than the timeout: retried, exact rows', async () => {
    emu.faults = { at: { 2: { type: '500' }, 3: { type: '500' }, 5: { type: 'reset' }, 7: { type: 'truncate' }, 9: { type: 'slow', delayMs: 2_000 } } };
    const dir = tmp();
    const retries: string[] = [];
    const sum = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until, onRetry: (m) => retries.push(m) });
    expectAll(dir);
    expect(sum.retries).toBeGreaterThanOrEqual(5);
    expect(emu.log.filter((r) => r.fault).map((r) => r.fault)).toEqual(['500', '500', 'reset', 'truncate', 'slow']);
    expect(retries.join('\n')).toMatch(/ExchangeNotAvailable/);
    expect(retries.join('\n')).toMatch(/not valid JSON/);
    expect(retries.join('\n')).toMatch(/RequestTimeout/);
  });

  it.each([
    ['bybit', 'BTC/USDT:USDT', '2025-10-08T00:00:00Z', '2025-10-10T00:00:00Z'],
    ['okx', 'BTC/USDT:USDT', '2026-02-04T00:00:00Z', '2026-02-06T00:00:00Z'],
    ['hyperliquid', 'BTC/USDC:USDC', '2025-03-10T00:00:00Z', '2025-03-12T00:00:00Z'],
  ] as const)('%s: 429, 500, truncated JSON, reset and a slow response in a row are all retried, exact rows', async (venue, symbol, a, b) => {
    emu.faults = { at: { 1: { type: '429', retryAfterSec: 0 }, 2: { type: '500' }, 3: { type: 'truncate' }, 4: { type: 'reset' }, 5: { type: 'slow', delayMs: 2_000 } } };
    const dir = tmp();
    // (rateLimitMs 5: Hyperliquid's info endpoint weighs 20, i.e. 1 s per request at ccxt's default)
    const sum = await fetchTo(dir, { exchange: venue, symbol, since: a, until: b, pageLimit: 12, retry: { ...FAST, retries: 6 }, rateLimitMs: 5 });
    expect(sum.retries).toBeGreaterThanOrEqual(5);
    const d = emu.data[venue];
    const dirSym = symbol.replace('/', '-').replace(':', '-');
    expectFunding(dir, `${venue}/${dirSym}/funding.arrow`, served(d.funding, T(a), T(b)), venue === 'hyperliquid' ? 1 : 8, false);
    expectCandles(dir, `${venue}/${dirSym}/ohlcv-1h.arrow`, served(d.perp, T(a), T(b)), venue !== 'okx');
  });

  it('overlapping pages, duplicated rows and out-of-order rows end as one clean series (binance, bybit, okx)', async () => {
    emu.faults = { overlapRows: 3, duplicate: true, shuffle: true };
    const dir = tmp();
    await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until });
    expectAll(dir);
    await fetchTo(dir, { exchange: 'bybit', symbol: 'BTC/USDT:USDT', since, until });
    expectAll(dir, 'bybit');
    const okxDir = tmp();
    await fetchTo(okxDir, { exchange: 'okx', symbol: 'BTC/USDT:USDT', since: '2026-02-04', until: '2026-02-07', pageLimit: 24 });
    const [a, b] = [T('2026-02-04T00:00:00Z'), T('2026-02-07T00:00:00Z')];
    expectCandles(okxDir, 'okx/BTC-USDT-USDT/ohlcv-1h.arrow', served(emu.data.okx.perp, a, b), false);
    expectFunding(okxDir, 'okx/BTC-USDT-USDT/funding.arrow', served(emu.data.okx.funding, a, b), 8, false);
  });

  it('an empty page in the middle of the range does not end paging; the missing settlement is a gap, not an interval change', async () => {
    // No data 2025-10-08 20:00 → 10-09 16:00: two 10 h windows come back empty; funding loses
    // the 10-09 00:00 and 08:00 settlements.
    emu.faults = { holes: [[T('2025-10-08T20:00:00Z'), T('2025-10-09T16:00:00Z')]] };
    const dir = tmp();
    const sum = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until });
    const wantF = served(emu.data.binance.funding, from, to);
    expect(wantF.length).toBe(7); // 9 settlements minus 00:00 and 08:00 on Oct 9
    expectFunding(dir, 'binance/BTC-USDT-USDT/funding.arrow', wantF, 8, true);
    expectCandles(dir, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow', served(emu.data.binance.perp, from, to), true);
    const klinesEmpty = emu.log.filter((r) => r.path === '/fapi/v1/klines' && Number(r.params['startTime']) >= T('2025-10-08T20:00:00Z') && Number(r.params['endTime']) < T('2025-10-09T16:00:00Z'));
    expect(klinesEmpty.length).toBe(2);
    expect(Number(emu.log.filter((r) => r.path === '/fapi/v1/klines').at(-1)!.params['endTime'])).toBe(to - 1); // paged to the end
    const cat = readCatalog(dir);
    expect(cat.entries.find((e) => e.kind === 'funding')!.gaps).toBe(2);
    expect(cat.entries.find((e) => e.kind === 'ohlcv')!.gaps).toBe(20);
    expect(sum.series.find((x) => x.kind === 'funding')!.intervalChanges).toEqual([]);
    expect(sum.series.find((x) => x.kind === 'funding')!.validation!.issues).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'gap', count: 1 }));
    expect(sum.series.find((x) => x.kind === 'ohlcv')!.validation).toMatchObject({ ok: true, errors: 0 });
  });

  it('funding interval changes (8h → 4h → 1h) are recorded where they happen, not smoothed', async () => {
    // The 12 real Binance rows of 2025-10-08 … 10-11, re-stamped (jitter kept): six 8h apart, then
    // 10-10 00:00, 04:00, 08:00, 12:00 (4h), then 13:00, 14:00 (1h), as when Binance moves a
    // symbol that settles at its cap to a shorter interval.
    const real = emu.data.binance.funding.filter((r) => r.t >= from && r.t < T('2025-10-12T00:00:00Z'));
    expect(real.length).toBe(12);
    const hours = [0, 8, 16, 24, 32, 40, 48, 52, 56, 60, 61, 62];
    const rows = real.map((r, i) => ({ ...r, t: from + hours[i]! * H + (r.t % H) }));
    emu.faults = { funding: rows };
    const dir = tmp();
    const sum = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until, kinds: ['funding'] });
    expectFunding(dir, 'binance/BTC-USDT-USDT/funding.arrow', rows, [8, 8, 8, 8, 8, 8, 8, 4, 4, 4, 1, 1], true);
    const fs = sum.series[0]!;
    expect(fs.intervalChanges).toEqual([
      ['2025-10-10T04:00:00.000Z', 8, 4],
      ['2025-10-10T13:00:00.000Z', 4, 1],
    ]);
    expect(fs.validation).toMatchObject({ ok: true, errors: 0 });
    expect(fs.validation!.issues).toContainEqual(expect.objectContaining({ severity: 'info', code: 'interval-change', count: 2 }));
    expect(readCatalog(dir).entries[0]!.gaps).toBe(0);
  });

  it('a persistent outage fails with a clear error after the retries; what was stored stays valid and a rerun completes it', async () => {
    emu.faults = { always500From: 4 };
    const dir = tmp();
    const err = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until, kinds: ['ohlcv'], retry: { ...FAST, retries: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchFailedError);
    expect((err as Error).message).toMatch(/binance BTC\/USDT:USDT ohlcv 1h \[2025-10-09T06:00:00.000Z .. 2025-10-09T16:00:00.000Z\) failed after 3 attempts \(last HTTP 500\)/);
    expect((err as Error).message).toMatch(/rerun the same command to resume/);
    const partial = readSeriesFile(join(dir, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow'));
    expect(partial.ts.length).toBe(30); // three full pages stored before the outage
    emu.faults = {};
    await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since, until, kinds: ['ohlcv'] });
    expectCandles(dir, 'binance/BTC-USDT-USDT/ohlcv-1h.arrow', served(emu.data.binance.perp, from, to), true);
  });
});

describe('incremental fetch', () => {
  it('a second fetch continues from the last stored row and ends equal to one fetch of the whole range', async () => {
    const a = tmp();
    await fetchTo(a, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-10' });
    emu.reset();
    const sum = await fetchTo(a, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-12' });
    const firstKline = emu.log.find((r) => r.path === '/fapi/v1/klines')!;
    expect(Number(firstKline.params['startTime'])).toBe(T('2025-10-09T23:00:00Z'));
    const firstFunding = emu.log.find((r) => r.path === '/fapi/v1/fundingRate')!;
    expect(Number(firstFunding.params['startTime'])).toBe(T('2025-10-09T16:00:00Z'));
    expect(sum.series.find((x) => x.kind === 'ohlcv')!).toMatchObject({ added: 48, replaced: 0, rowsInFile: 96 });
    expect(readCatalog(a).entries.find((e) => e.kind === 'ohlcv')!.provenance.sources).toEqual([
      'ccxt binance.fetchOHLCV(BTC/USDT:USDT, 1h) 2025-10-08T00:00:00.000Z → 2025-10-10T00:00:00.000Z',
      'ccxt binance.fetchOHLCV(BTC/USDT:USDT, 1h) 2025-10-08T00:00:00.000Z → 2025-10-12T00:00:00.000Z',
    ]);
    const b = tmp();
    await fetchTo(b, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-12', pageLimit: 1000 });
    expect(storeRows(a)).toEqual(storeRows(b));
    // a backfill before the first stored row
    await fetchTo(a, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-07', until: '2025-10-12' });
    const c = tmp();
    await fetchTo(c, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-07', until: '2025-10-12', pageLimit: 1000 });
    expect(storeRows(a)).toEqual(storeRows(c));
  });

  it('honours the rate limit: consecutive requests are spaced by ccxt’s throttle', async () => {
    const dir = tmp();
    // ccxt's throttle spaces requests by rateLimit × the endpoint's weight (1 for fapi klines, limit < 100)
    await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-10', kinds: ['ohlcv'], pageLimit: 8, rateLimitMs: 250 });
    const times = emu.log.filter((r) => r.n > 0).map((r) => r.atMs);
    expect(times.length).toBe(6);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(240); // 250 ms minus timer slack
  });
});

describe('unreachable exchange', () => {
  it('fails with "unreachable", a non-zero exit code, and leaves the store untouched', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dir = tmp();
    await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-09' });
    const before = Object.fromEntries(readdirSync(join(dir, 'binance/BTC-USDT-USDT')).map((f) => [f, readFileSync(join(dir, 'binance/BTC-USDT-USDT', f))]));
    const catBefore = readFileSync(join(dir, 'catalog.json'));
    const err = await fetchTo(dir, { exchange: 'binance', symbol: 'BTC/USDT:USDT', since: '2025-10-08', until: '2025-10-12', apiBase: `http://127.0.0.1:${port}`, retry: { ...FAST, retries: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchFailedError);
    expect((err as FetchFailedError).exitCode).toBe(3);
    expect((err as Error).message).toMatch(new RegExp(`binance is unreachable at http://127.0.0.1:${port}: .* no response in 3 attempts.*Nothing was stored`));
    const after = Object.fromEntries(readdirSync(join(dir, 'binance/BTC-USDT-USDT')).map((f) => [f, readFileSync(join(dir, 'binance/BTC-USDT-USDT', f))]));
    expect(after).toEqual(before);
    expect(readFileSync(join(dir, 'catalog.json'))).toEqual(catBefore);
  });
});
