import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanWindow, fillFundingIntervals, fundingIntervalChanges, fundingToSeries, ohlcvToSeries, emptySeries } from '../../../src/data/fetch/rows.js';
import { backoffDelayMs, overrideApiUrls, retryAfterMs } from '../../../src/data/fetch/exchange.js';
import { planRanges, parseKinds } from '../../../src/data/fetch/fetch.js';
import { SHARED_DATA } from './emulator/datasets.js';

const H = 3_600_000;

describe('fundingToSeries', () => {
  it('snaps Binance settlement jitter to the hour and reads markPrice from info', () => {
    const raw = JSON.parse(readFileSync(`${SHARED_DATA}/fixtures/binance_fapi_v1_fundingRate_BTCUSDT_2025-10-08_2025-10-14.reconstructed.json`, 'utf8')) as {
      fundingTime: number;
      fundingRate: string;
      markPrice: string;
    }[];
    // the shape ccxt's binance.parseFundingRateHistory produces
    const rows = raw.map((r) => ({ timestamp: r.fundingTime, fundingRate: Number(r.fundingRate), info: r }));
    const s = fundingToSeries(rows, 'fixture');
    expect(raw[1]!.fundingTime).toBe(1759910400006); // 2025-10-08T08:00:00.006Z on the wire
    expect(s.ts[1]).toBe(1759910400000);
    expect(s.columns['rate']![1]).toBe(0.0001);
    expect(s.columns['mark_price']![1]).toBe(121555.76018116);
    expect(s.ts[2]).toBe(1759939200000); // ...002 → 16:00:00.000
    for (let i = 0; i < s.ts.length; i++) expect(s.ts[i]! % H).toBe(0);
  });

  it('leaves mark_price null when the exchange sends none or an empty string', () => {
    const s = fundingToSeries(
      [
        { timestamp: 1760000000000, fundingRate: 0.0001, info: { markPrice: '' } },
        { timestamp: 1760028800000, fundingRate: -0.00002, info: {} },
      ],
      't',
    );
    expect(Number.isNaN(s.columns['mark_price']![0]!)).toBe(true);
    expect(Number.isNaN(s.columns['mark_price']![1]!)).toBe(true);
  });

  it('rejects a row without a timestamp, naming the row', () => {
    expect(() => fundingToSeries([{ timestamp: 1760000000000, fundingRate: 0 }, { timestamp: null, fundingRate: 0 }], 'binance page')).toThrow(/binance page: row 1/);
  });
});

describe('fillFundingIntervals', () => {
  it('takes each interval from the spacing to the previous settlement, treating > 8 h as a gap', () => {
    const hours = [0, 8, 16, 20, 24, 25, 26, 42, 50];
    const s = emptySeries('funding', hours.length);
    hours.forEach((h, i) => (s.ts[i] = 1_700_000_000_000 - (1_700_000_000_000 % H) + h * H));
    fillFundingIntervals(s, 8);
    expect(Array.from(s.columns['interval_hours']!)).toEqual([8, 8, 8, 4, 4, 1, 1, 1, 8]);
    const base = s.ts[0]!;
    expect(fundingIntervalChanges(s).map(([t, a, b]) => [(t - base) / H, a, b])).toEqual([
      [20, 8, 4],
      [25, 4, 1],
      [50, 1, 8],
    ]);
  });

  it('uses the default for a lone first row and for a first row followed by a gap', () => {
    const one = emptySeries('funding', 1);
    one.ts[0] = 0;
    fillFundingIntervals(one, 1);
    expect(one.columns['interval_hours']![0]).toBe(1);
    const gap = emptySeries('funding', 2);
    gap.ts[0] = 0;
    gap.ts[1] = 24 * H;
    fillFundingIntervals(gap, 8);
    expect(Array.from(gap.columns['interval_hours']!)).toEqual([8, 8]);
  });
});

describe('cleanWindow', () => {
  it('property: any shuffled, duplicated, overlapping pages become the sorted distinct rows of the window', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 120 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 120 }), (hours, from, len) => {
        const rows = hours.map((h) => [h * H, h + 0.5, h + 1, h, h + 0.25, h * 2]);
        const s = ohlcvToSeries(rows, 'ohlcv', 'p');
        const out = cleanWindow(s, 'ohlcv', from * H, (from + len) * H);
        const want = [...new Set(hours.filter((h) => h >= from && h < from + len))].sort((a, b) => a - b);
        expect(Array.from(out.ts)).toEqual(want.map((h) => h * H));
        expect(Array.from(out.columns['open']!)).toEqual(want.map((h) => h + 0.5));
        expect(Array.from(out.columns['volume']!)).toEqual(want.map((h) => h * 2));
      }),
    );
  });
});

describe('planRanges', () => {
  it('fetches everything when nothing is stored', () => {
    expect(planRanges(100, 200, undefined)).toEqual([[100, 200]]);
  });
  it('resumes from the last stored row (refetching it) and backfills before the first', () => {
    expect(planRanges(100, 200, { first: 120, last: 150 })).toEqual([
      [100, 120],
      [150, 200],
    ]);
    expect(planRanges(130, 200, { first: 120, last: 150 })).toEqual([[150, 200]]);
    expect(planRanges(100, 140, { first: 120, last: 150 })).toEqual([[100, 120]]);
    expect(planRanges(200, 200, undefined)).toEqual([]);
  });
});

describe('retry policy', () => {
  const policy = { retries: 5, backoffMs: 100, maxBackoffMs: 1_000, timeoutMs: 1_000 };
  it('doubles the delay each retry up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelayMs(policy, r, undefined))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('waits at least Retry-After (seconds or HTTP date), capped', () => {
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:03 GMT', 1000)).toBe(2000);
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
    expect(backoffDelayMs(policy, 0, 700)).toBe(700);
    expect(backoffDelayMs(policy, 0, 5_000)).toBe(1000);
  });
});

describe('overrideApiUrls', () => {
  it('keeps each path and swaps scheme+host for base/venue', () => {
    const api = { fapiPublic: 'https://fapi.binance.com/fapi/v1', public: 'https://api.binance.com/api/v3', nested: { x: 'https://api.{hostname}' } };
    expect(overrideApiUrls(api, 'http://127.0.0.1:9/', 'binance')).toEqual({
      fapiPublic: 'http://127.0.0.1:9/binance/fapi/v1',
      public: 'http://127.0.0.1:9/binance/api/v3',
      nested: { x: 'http://127.0.0.1:9/binance' },
    });
  });
});

describe('parseKinds', () => {
  it('accepts a comma list and names --kinds on a bad kind', () => {
    expect(parseKinds('funding, ohlcv,mark,funding')).toEqual(['funding', 'ohlcv', 'mark']);
    expect(() => parseKinds('funding,candles')).toThrow(/--kinds: unknown kind "candles"/);
  });
});

describe('progress bar', () => {
  it('redraws one line with the bar, percent, rows and the time range done, and ends it at 100%', async () => {
    const { progressPrinter } = await import('../../../src/data/fetch/command.js');
    let out = '';
    const draw = progressPrinter({ write: (s: string) => (out += s) });
    const from = Date.parse('2025-10-08T00:00:00Z');
    const to = Date.parse('2025-10-12T00:00:00Z');
    draw({ label: 'binance BTC/USDT:USDT ohlcv 1h', fraction: 0.25, rows: 24, doneUntilMs: from + 24 * H, fromMs: from, toMs: to, requests: 1 });
    draw({ label: 'binance BTC/USDT:USDT ohlcv 1h', fraction: 1, rows: 96, doneUntilMs: to, fromMs: from, toMs: to, requests: 4 });
    const lines = out.split('\r').filter(Boolean);
    expect(lines[0]).toBe('binance BTC/USDT:USDT ohlcv 1h [######..................]  25%  24 rows  2025-10-08T00:00 → 2025-10-09T00:00\x1b[K');
    expect(lines[1]).toBe('binance BTC/USDT:USDT ohlcv 1h [########################] 100%  96 rows  2025-10-08T00:00 → 2025-10-12T00:00\x1b[K\n');
  });
});
