import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeZip } from '../../support/zip.js';
import { DataError } from '../../../src/core/errors.js';
import { readCatalog } from '../../../src/data/catalog.js';
import { importFile, parseSeriesFile, parseTimestampCell, wallTimeToUtc } from '../../../src/data/import/index.js';
import { readSeriesFile } from '../../../src/data/store.js';
import { FIX, SHARED, bytesOf, iso, itWithShared, tmpDir } from '../../support/paths.js';

const H = 3_600_000;

const minOf = (a: Float64Array) => a.reduce((m, x) => Math.min(m, x), Infinity);

describe('time zones', () => {
  it('converts Europe/London wall times, earlier instant when ambiguous, error in the DST gap', () => {
    // BST (UTC+1) in summer
    expect(wallTimeToUtc(Date.UTC(2024, 7, 9, 9), 'Europe/London')).toEqual({ ok: true, ts: iso('2024-08-09T08:00:00Z') });
    // GMT in winter
    expect(wallTimeToUtc(Date.UTC(2024, 0, 9, 9), 'Europe/London')).toEqual({ ok: true, ts: iso('2024-01-09T09:00:00Z') });
    // 2023-10-29 01:00 happens twice (BST then GMT): first occurrence = 00:00 UTC
    expect(wallTimeToUtc(Date.UTC(2023, 9, 29, 1), 'Europe/London')).toEqual({ ok: true, ts: iso('2023-10-29T00:00:00Z') });
    // 2023-03-26 01:30 does not exist
    expect(wallTimeToUtc(Date.UTC(2023, 2, 26, 1, 30), 'Europe/London').ok).toBe(false);
    // UTC+8 (no DST)
    expect(wallTimeToUtc(Date.UTC(2020, 0, 1, 0), 'Asia/Shanghai')).toEqual({ ok: true, ts: iso('2019-12-31T16:00:00Z') });
  });
});

describe('timestamp cells', () => {
  it('reads s/ms/µs/ns epochs, ISO with and without offsets, bigint and Date cells to the same instant', () => {
    const t = iso('2025-02-03T02:05:00Z');
    const cases: unknown[] = ['1738548300', '1738548300000', '1738548300000000', '1738548300000000000', 1738548300000, 1738548300000000n,
      '2025-02-03T02:05:00Z', '2025-02-03 02:05:00', '2025-02-03T02:05:00.000+00:00', '2025-02-03T10:05:00+08:00', '2025-02-03 02:05', new Date(t)];
    for (const c of cases) expect(parseTimestampCell(c, 'auto', 'UTC'), String(c)).toEqual({ ok: true, ts: t });
    expect(parseTimestampCell('1738548300', 'ms', 'UTC')).toEqual({ ok: true, ts: 1738548300 });
    expect(parseTimestampCell('2025-02-30 00:00', 'auto', 'UTC').ok).toBe(false);
    expect(parseTimestampCell('yesterday', 'auto', 'UTC').ok).toBe(false);
    expect(parseTimestampCell('', 'auto', 'UTC').ok).toBe(false);
  });

  it('reads kline arrays from a JSON response (the reconstructed /api/v3/klines fixture of shared/)', async () => {
    const dir = tmpDir();
    const file = join(dir, 'klines.json');
    // the first two bars of shared/fixtures/binance_api_v3_klines_BTCUSDT_1h_2025-09-01_2025-09-02.reconstructed.json
    writeFileSync(file, JSON.stringify([
      [1756684800000, '108246.36', '108406.18', '107631.68', '108222.37', '1078.8221', 1756688399999, '116502666.7128696', 213874, '478.02672', '51613477.6885373', '0'],
      [1756688400000, '108222.37', '108482.98', '107968.09', '108150.24', '471.21562', 1756691999999, '50978640.8713469', 168219, '214.66579', '23223696.5040715', '0'],
    ]));
    const p = await parseSeriesFile({ file, kind: 'ohlcv', timeframe: '1h', tsColumn: 'col1', columns: { open: 'col2', high: 'col3', low: 'col4', close: 'col5', volume: 'col6' } });
    expect(Array.from(p.series.ts)).toEqual([iso('2025-09-01T00:00:00Z'), iso('2025-09-01T01:00:00Z')]);
    expect(p.series.columns['close']![1]).toBe(108150.24);
    expect(p.series.columns['volume']![0]).toBe(1078.8221);
  });
});

describe('Binance web export (percent, Europe/London, newest-first, BOM, no trailing newline)', () => {
  const opts = {
    kind: 'funding' as const,
    tsColumn: 'Time',
    timezone: 'Europe/London',
    rateUnit: 'percent' as const,
    order: 'desc' as const,
    columns: { rate: 'Funding Rate', interval_hours: 'Funding Interval' },
  };

  it('parses the head of the real file into UTC decimal rates, oldest first', async () => {
    const file = join(FIX, 'binance_web_funding_BTCUSDT_head.csv');
    expect(readFileSync(file)[0]).toBe(0xef); // BOM present
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(false);
    const p = await parseSeriesFile({ ...opts, file });
    const n = p.series.ts.length;
    expect(n).toBe(12);
    // newest row "2024-08-09 09:00:00" (BST) = 08:00 UTC, "0.002184%"
    expect(p.series.ts[n - 1]).toBe(iso('2024-08-09T08:00:00Z'));
    expect(p.series.columns['rate']![n - 1]).toBe(0.00002184);
    // oldest row "2024-08-05 17:00:00" = 16:00 UTC; then every step is 8h
    expect(p.series.ts[0]).toBe(iso('2024-08-05T16:00:00Z'));
    for (let i = 1; i < n; i++) expect(p.series.ts[i]! - p.series.ts[i - 1]!).toBe(8 * H);
    expect(Array.from(p.series.columns['interval_hours']!)).toEqual(new Array(n).fill(8));
    expect(p.series.columns['mark_price']!.every((x) => Number.isNaN(x))).toBe(true);
    expect(p.notes).toContain('UTF-8 BOM stripped');
    expect(p.notes).toContain('rows were newest-first; reversed');
  });

  it('handles the 2023-10-29 fall-back: the "01:00" settlement is 00:00 UTC', async () => {
    const p = await parseSeriesFile({ ...opts, file: join(FIX, 'binance_web_funding_BTCUSDT_dst_2023-10.csv') });
    const ts = Array.from(p.series.ts);
    expect(ts[0]).toBe(iso('2023-10-27T16:00:00Z'));
    expect(ts).toContain(iso('2023-10-29T00:00:00Z'));
    expect(ts[ts.length - 1]).toBe(iso('2023-10-31T00:00:00Z'));
    for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBe(8 * H);
  });

  itWithShared('funding/Funding Rate History_BTCUSDT Perpetual_2024-08-09.csv', 'funding/binance_BTCUSDT_funding_2019-2024_utc_normalized.csv')('equals the UTC-normalised file row for row on the full real export', async () => {
    const a = await parseSeriesFile({ ...opts, file: join(SHARED, 'funding', 'Funding Rate History_BTCUSDT Perpetual_2024-08-09.csv') });
    const b = await parseSeriesFile({ file: join(SHARED, 'funding', 'binance_BTCUSDT_funding_2019-2024_utc_normalized.csv'), kind: 'funding' });
    expect(a.series.ts.length).toBe(5386);
    expect(Array.from(a.series.ts)).toEqual(Array.from(b.series.ts));
    expect(Array.from(a.series.columns['rate']!)).toEqual(Array.from(b.series.columns['rate']!));
  });

  it('refuses percent strings when a decimal was declared, naming file, row and column', async () => {
    const file = join(FIX, 'binance_web_funding_BTCUSDT_head.csv');
    const err = await parseSeriesFile({ ...opts, rateUnit: 'decimal', file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const d = err as DataError;
    expect(d.file).toBe(file);
    expect(d.row).toBe(2); // first data line (line 1 is the header)
    expect(d.column).toBe('Funding Rate');
    expect(d.message).toContain('percent string "0.002184%"');
  });

  it('checks a declared order', async () => {
    const err = await parseSeriesFile({ ...opts, order: 'asc', file: join(FIX, 'binance_web_funding_BTCUSDT_head.csv') }).catch((e: unknown) => e);
    expect((err as DataError).message).toContain('strictly increasing');
    expect((err as DataError).row).toBe(3);
  });
});

describe('all_exchanges.csv 8h bars in Europe/London labels', () => {
  it('maps the BST "01:00/09:00/17:00" rows to 00/08/16 UTC and keeps a regular 8h grid', async () => {
    const file = join(FIX, 'all_exchanges_binance_btc_dst.csv');
    const bars = await parseSeriesFile({ file, kind: 'ohlcv', timeframe: '8h', timezone: 'Europe/London' });
    const ts = Array.from(bars.series.ts);
    expect(ts.length).toBe(18);
    for (const t of ts) expect(t % (8 * H)).toBe(0);
    expect(ts.slice(0, 9).every((t, i) => i === 0 || t - ts[i - 1]! === 8 * H)).toBe(true);
    expect(ts.slice(9).every((t, i) => i === 0 || t - ts[9 + i - 1]! === 8 * H)).toBe(true);
    // label "2023-03-27 01:00:00" opens at 27954.3, the Binance perp 1h open at 00:00 UTC
    const k = ts.indexOf(iso('2023-03-27T00:00:00Z'));
    expect(bars.series.columns['open']![k]).toBe(27954.3);
    const f = await parseSeriesFile({ file, kind: 'funding', timezone: 'Europe/London', columns: { rate: 'funding rate' } });
    const j = Array.from(f.series.ts).indexOf(iso('2023-03-27T00:00:00Z'));
    expect(f.series.columns['rate']![j]).toBe(2.905e-5); // = Binance fundingRate at 2023-03-27 00:00 UTC
    expect(f.series.columns['interval_hours']![j]).toBe(8);
  });

  it('without the time zone the same file changes phase at the DST switch and is refused', async () => {
    const err = await parseSeriesFile({ file: join(FIX, 'all_exchanges_binance_btc_dst.csv'), kind: 'ohlcv', timeframe: '8h' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    // Winter rows open at 00/08/16 UTC, BST rows read as UTC at 01/09/17: one series, two phases.
    expect((err as DataError).message).toContain('8h bars open at 01/09/17 UTC (offset 1h from the UTC grid), but the first bar');
    expect((err as DataError).message).toContain('keeps one phase');
    expect((err as DataError).column).toBe('time');
  });
});

describe('funding: jitter, intervals, JSON shapes, parquet', () => {
  it('snaps Hyperliquid jitter (up to 111 s) to the hour and infers the 1h interval', async () => {
    const p = await parseSeriesFile({ file: join(FIX, 'hl_BTC_funding_2025-07-27.json'), kind: 'funding' });
    expect(p.series.ts.length).toBe(20);
    expect(p.snapped).toBe(19);
    expect(p.maxJitterMs).toBe(110963);
    for (const t of p.series.ts) expect(t % H).toBe(0);
    expect(p.series.ts).toContain(iso('2025-07-27T12:00:00Z'));
    expect(Array.from(p.series.columns['interval_hours']!)).toEqual(new Array(20).fill(1));
    expect(p.series.columns['rate']![0]).toBe(0.0000125);
  });

  it('rejects a settlement beyond the jitter tolerance, naming the row', async () => {
    const err = await parseSeriesFile({ file: join(FIX, 'hl_BTC_funding_2025-07-27.json'), kind: 'funding', snapToleranceMs: 1000 }).catch((e: unknown) => e);
    expect((err as DataError).row).toBe(11);
    expect((err as DataError).column).toBe('time');
  });

  it('reads the Bybit v5 envelope (newest-first) and zushen rows with marks and ms jitter', async () => {
    const b = await parseSeriesFile({ file: join(FIX, 'bybit_v5_market_funding_history_BTCUSDT_2025-10-08_2025-10-14.reconstructed.json'), kind: 'funding' });
    expect(b.series.ts.length).toBe(21);
    expect(b.series.ts[0]).toBe(iso('2025-10-08T00:00:00Z'));
    expect(b.notes).toContain('rows were newest-first; reversed');
    const z = await parseSeriesFile({ file: join(FIX, 'zushen_binance_BTCUSDT_2025-08.csv'), kind: 'funding', tsColumn: 'settlement_ts', columns: { rate: 'rate_raw' } });
    expect(z.series.ts[1]).toBe(iso('2025-08-21T16:00:00Z')); // was 16:00:00.003
    expect(z.series.columns['mark_price']![0]).toBe(113836.8);
    expect(z.series.columns['interval_hours']![0]).toBe(8);
  });

  it('infers an interval change 8h → 4h from the spacing', async () => {
    const dir = tmpDir();
    const file = join(dir, 'f.csv');
    const rows = ['time,rate', '2025-01-01T00:00:00Z,0.0001', '2025-01-01T08:00:00Z,0.0002', '2025-01-01T16:00:00Z,0.0003', '2025-01-01T20:00:00Z,0.004', '2025-01-02T00:00:00Z,0.004', '2025-01-02T08:00:00Z,0.001'];
    writeFileSync(file, rows.join('\n') + '\n');
    const p = await parseSeriesFile({ file, kind: 'funding' });
    expect(Array.from(p.series.columns['interval_hours']!)).toEqual([8, 8, 8, 4, 4, 8]);
  });

  it('reads ZSTD parquet (the real 1m-set funding file) and snaps its 1 ms jitter', async () => {
    const p = await parseSeriesFile({ file: join(FIX, 'BTCUSDT_funding_1m.parquet'), kind: 'funding', columns: { rate: 'funding_rate' } });
    expect(p.format).toBe('parquet');
    expect(p.series.ts.length).toBe(1095);
    expect(p.series.ts[0]).toBe(1746835200000); // 1746835200001 in the file
    expect(p.series.columns['rate']![0]).toBe(0.00009657);
    expect(p.series.columns['rate']![1]).toBe(0.0001);
  });
});

describe('Binance public-data kline CSVs and generic mapping', () => {
  // 12-column kline rows built from the real Roshan ETH spot 1h excerpt.
  const spot = readFileSync(join(FIX, 'ETHUSDT_1h_spot_2025-02-02_roshan.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const kline = (mult: number) =>
    spot.map(([t, , o, h, l, c, v]) => [Number(t) * mult, o, h, l, c, v, (Number(t) + H - 1) * mult, '1', '10', '0.5', '5', '0'].join(',')).join('\n') + '\n';

  it('reads headerless µs klines (data.binance.vision spot 2025+) and ms klines with header identically', async () => {
    const dir = tmpDir();
    const us = join(dir, 'ETHUSDT-1h-2025-02.csv');
    writeFileSync(us, kline(1000));
    const ms = join(dir, 'ETHUSDT-1h-2025-02-ms.csv');
    writeFileSync(ms, 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n' + kline(1));
    const a = await parseSeriesFile({ file: us, kind: 'ohlcv', timeframe: '1h' });
    const b = await parseSeriesFile({ file: ms, kind: 'ohlcv', timeframe: '1h' });
    expect(a.format).toBe('binance-klines');
    expect(b.format).toBe('binance-klines');
    expect(Array.from(a.series.ts)).toEqual(Array.from(b.series.ts));
    const k = Array.from(a.series.ts).indexOf(iso('2025-02-03T02:00:00Z'));
    expect(a.series.columns['low']![k]).toBe(2125.01);
    expect(a.series.columns['volume']![k]).toBe(508838.4049);
  });

  it('reads a data.binance.vision fundingRate CSV (interval from its column, ms jitter snapped)', async () => {
    const dir = tmpDir();
    const file = join(dir, 'ETHUSDT-fundingRate-2022-11.csv');
    // real ETHUSDT settlements of 2022-11-09 (Roshan / fapi values), with Binance-style late stamps
    writeFileSync(file, 'calc_time,funding_interval_hours,last_funding_rate\n1667952000007,8,-0.00038496\n1667980800001,8,-0.00012169\n1668009600000,8,-0.00054682\n');
    const p = await parseSeriesFile({ file, kind: 'funding' });
    expect(p.format).toBe('binance-funding');
    expect(Array.from(p.series.ts)).toEqual([iso('2022-11-09T00:00:00Z'), iso('2022-11-09T08:00:00Z'), iso('2022-11-09T16:00:00Z')]);
    expect(Array.from(p.series.columns['rate']!)).toEqual([-0.00038496, -0.00012169, -0.00054682]);
    expect(Array.from(p.series.columns['interval_hours']!)).toEqual([8, 8, 8]);
    expect(p.snapped).toBe(2);
  });

  it('reads a data.binance.vision .zip (one deflated CSV inside)', async () => {
    const dir = tmpDir();
    const csv = Buffer.from(kline(1000));
    const zip = join(dir, 'ETHUSDT-1h-2025-02.zip');
    writeFileSync(zip, makeZip('ETHUSDT-1h-2025-02.csv', csv));
    const p = await parseSeriesFile({ file: zip, kind: 'ohlcv', timeframe: '1h' });
    expect(p.format).toBe('binance-klines');
    expect(p.series.ts.length).toBe(24);
    expect(minOf(p.series.columns['low']!)).toBe(2125.01);
    const notZip = join(dir, 'bad.zip');
    writeFileSync(notZip, 'hello');
    await expect(parseSeriesFile({ file: notZip, kind: 'ohlcv', timeframe: '1h' })).rejects.toThrow(/not a ZIP archive/);
  });

  it('maps columns by name and builds OHLC from a single value column', async () => {
    const dir = tmpDir();
    const file = join(dir, 'mid.csv');
    writeFileSync(file, 'ts_s;px\n1738540800;2869.68\n1738540860;2870.5\n'.replace(/;/g, ','));
    const p = await parseSeriesFile({ file, kind: 'ohlcv', timeframe: '1m', tsUnit: 's', valueColumn: 'px', tsColumn: 'ts_s' });
    expect(Array.from(p.series.ts)).toEqual([1738540800000, 1738540860000]);
    expect(p.series.columns['high']![1]).toBe(2870.5);
    expect(Number.isNaN(p.series.columns['volume']![0]!)).toBe(true);
    expect(p.notes[0]).toContain('open = high = low = close = value');
    const q = await parseSeriesFile({ file, kind: 'mark', timeframe: '1m', tsColumn: 'ts_s', columns: { open: 'px', high: 'px', low: 'px', close: 'px' } });
    expect(q.series.columns['close']![0]).toBe(2869.68);
  });

  it('parses a custom timestamp format in a UTC+8 zone', async () => {
    const dir = tmpDir();
    const file = join(dir, 'f.csv');
    writeFileSync(file, 'date,o,h,l,c,v\n01/01/2020 00:00,7195.24,7196.25,7175.46,7177.02,511.8\n');
    const p = await parseSeriesFile({ file, kind: 'ohlcv', timeframe: '1h', tsFormat: 'DD/MM/YYYY HH:mm', timezone: 'Asia/Shanghai' });
    expect(p.series.ts[0]).toBe(iso('2019-12-31T16:00:00Z'));
    expect(p.series.columns['close']![0]).toBe(7177.02);
  });
});

describe('bad input: clear errors, store untouched', () => {
  async function expectDataError(p: Promise<unknown>, row: number | undefined, column: string | undefined, text: string): Promise<void> {
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    const d = e as DataError;
    if (row !== undefined) expect(d.row).toBe(row);
    if (column !== undefined) expect(d.column).toBe(column);
    expect(d.message).toContain(text);
  }

  it('names file/row/column for a missing file, unknown column, bad timestamp, NaN and bad numbers', async () => {
    const dir = tmpDir();
    await expectDataError(parseSeriesFile({ file: join(dir, 'nope.csv'), kind: 'funding' }), undefined, undefined, 'file not found');
    const src = readFileSync(join(FIX, 'ETHUSDT_1h_spot_2025-02-02_roshan.csv'), 'utf8').split('\n');
    const put = (name: string, lines: string[]) => {
      const p = join(dir, name);
      writeFileSync(p, lines.join('\n'));
      return p;
    };
    await expectDataError(parseSeriesFile({ file: put('a.csv', src), kind: 'ohlcv', timeframe: '1h', columns: { close: 'last' } }), undefined, 'last', 'unknown column "last"');
    const badTs = [...src];
    badTs[5] = badTs[5]!.replace(/^\d+/, '17385x');
    await expectDataError(parseSeriesFile({ file: put('b.csv', badTs), kind: 'ohlcv', timeframe: '1h' }), 6, 'timestamp', 'unparsable timestamp "17385x"');
    const nan = [...src];
    nan[7] = nan[7]!.split(',').map((c, i) => (i === 5 ? 'NaN' : c)).join(',');
    await expectDataError(parseSeriesFile({ file: put('c.csv', nan), kind: 'ohlcv', timeframe: '1h' }), 8, 'close', 'value is NaN');
    const empty = [...src];
    empty[9] = empty[9]!.split(',').map((c, i) => (i === 3 ? '' : c)).join(',');
    await expectDataError(parseSeriesFile({ file: put('d.csv', empty), kind: 'ohlcv', timeframe: '1h' }), 10, 'high', 'empty value');
    const ragged = [...src];
    ragged[4] = `${ragged[4]!},extra`;
    await expectDataError(parseSeriesFile({ file: put('e.csv', ragged), kind: 'ohlcv', timeframe: '1h' }), 5, undefined, 'has 8 fields, expected 7');
    const conflict = [...src];
    conflict[3] = conflict[2]!.replace(/,[^,]+$/, ',1');
    await expectDataError(parseSeriesFile({ file: put('f.csv', conflict), kind: 'ohlcv', timeframe: '1h' }), 4, 'timestamp', 'different values');
  });

  it('leaves the stored file and catalog byte-identical when an import fails', async () => {
    const dataDir = tmpDir();
    const good = join(FIX, 'binance_ETHUSDT_funding_2022-11_roshan.csv');
    const base = { dataDir, venue: 'binance', symbol: 'ETH/USDT:USDT', kind: 'funding' as const, columns: { mark_price: 'markPrice_approx_markKline1hOpen' } };
    const r = await importFile({ ...base, file: good });
    expect(r.added).toBe(21);
    const arrow = join(dataDir, 'binance/ETH-USDT-USDT/funding.arrow');
    const before = [bytesOf(arrow), bytesOf(join(dataDir, 'catalog.json'))];
    const bad = join(dataDir, 'bad.csv');
    const lines = readFileSync(good, 'utf8').split('\n');
    lines[12] = lines[12]!.replace(/,-?0\.\d+,/, ',0.01%,');
    writeFileSync(bad, lines.join('\n'));
    await expect(importFile({ ...base, file: bad })).rejects.toThrow(/row 13, column "fundingRate"/);
    expect([bytesOf(arrow), bytesOf(join(dataDir, 'catalog.json'))]).toEqual(before);
  });

  it('merges a re-import without duplicates and records provenance', async () => {
    const dataDir = tmpDir();
    const file = join(FIX, 'ETHUSDT_1h_spot_2025-02-02_roshan.csv');
    const base = { dataDir, venue: 'binance', symbol: 'ETH/USDT', kind: 'ohlcv' as const, timeframe: '1h', file };
    const first = await importFile({ ...base, toMs: iso('2025-02-03T00:00:00Z') });
    expect([first.added, first.entry.rows]).toEqual([6, 6]);
    const second = await importFile(base);
    expect([second.added, second.replaced, second.unchanged, second.entry.rows]).toEqual([18, 0, 6, 24]);
    const s = readSeriesFile(join(dataDir, second.entry.path));
    expect(s.ts.length).toBe(24);
    const prov = JSON.parse(s.metadata['perpcarry.provenance']!) as { method: string; sources: string[] };
    expect(prov.method).toBe('import');
    expect(prov.sources).toEqual([file]);
    expect(readCatalog(dataDir).entries.map((e) => e.path)).toEqual(['binance/ETH-USDT/ohlcv-1h.arrow']);
  });
});

describe('bars off the UTC grid', () => {
  // Real all_exchanges.csv Bybit BTC perp rows (labels in Europe/London; true opens 4 h earlier).
  const CSV = `time,exchange,crypto,pair,contract,open,high,low,close,volume,funding rate
2024-02-27 16:00:00,bybit,bitcoin,BTCUSDT,perpetual,57001.0,57650.0,56660.0,57400.0,33431.046,0.00013716
2024-02-28 00:00:00,bybit,bitcoin,BTCUSDT,perpetual,57400.0,57429.0,56620.6,56966.9,29310.551,0.00023372
`;
  it('tsShiftMs stores the bars at their true opens (04/12/20 UTC); bars of another phase do not merge into them', async () => {
    const dir = tmpDir();
    const file = join(dir, 'bybit.csv');
    writeFileSync(file, CSV);
    const dataDir = join(dir, 'data');
    const base = { file, dataDir, venue: 'bybit', symbol: 'BTC/USDT:USDT', kind: 'ohlcv' as const, timeframe: '8h', timezone: 'Europe/London', where: { exchange: 'bybit' } };
    const res = await importFile({ ...base, tsShiftMs: -4 * H });
    const s = readSeriesFile(join(dataDir, res.entry.path));
    expect(Array.from(s.ts)).toEqual([iso('2024-02-27T12:00:00Z'), iso('2024-02-27T20:00:00Z')]);
    expect(s.columns['open']![1]).toBe(57400.0);
    expect(res.entry.provenance.notes).toContain('8h bars open at 04/12/20 UTC (offset 4h from the UTC grid)');
    const before = readFileSync(join(dataDir, res.entry.path));
    // The same rows unshifted open at 00/08/16 UTC: refused, store untouched.
    const err = await importFile(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toContain('cannot merge: the stored bars say "8h bars open at 04/12/20 UTC (offset 4h from the UTC grid)", the new bars "8h bars open at 00/08/16 UTC (offset 0 from the UTC grid)"');
    expect(readFileSync(join(dataDir, res.entry.path)).equals(before)).toBe(true);
  });
});
