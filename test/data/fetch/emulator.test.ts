/**
 * The emulator answers in the exchanges' real response shapes: its responses for the ranges of the
 * reconstructed fixtures in /work/shared/data/fixtures equal those fixtures (field for field; values
 * numerically where the fixture notes its number formatting may differ).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA } from './emulator/datasets.js';
import { startEmulator, type Emulator } from './emulator/server.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

const fixture = (name: string): unknown => JSON.parse(readFileSync(`${SHARED_DATA}/fixtures/${name}`, 'utf8'));
const get = async (path: string): Promise<unknown> => (await fetch(emu.base + path)).json();
const post = async (path: string, body: unknown): Promise<unknown> => (await fetch(emu.base + path, { method: 'POST', body: JSON.stringify(body) })).json();
const T = (iso: string): number => Date.parse(iso);

describe('emulator response shapes', () => {
  it('binance /fapi/v1/fundingRate equals the reconstructed fixture exactly', async () => {
    const want = fixture('binance_fapi_v1_fundingRate_BTCUSDT_2025-10-08_2025-10-14.reconstructed.json');
    const got = await get(`/binance/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=${T('2025-10-08T00:00:00Z')}&endTime=${T('2025-10-14T16:00:01Z')}&limit=1000`);
    expect(got).toEqual(want);
  });

  it('bybit /v5/market/funding/history: same envelope, newest first, same values', async () => {
    const want = fixture('bybit_v5_market_funding_history_BTCUSDT_2025-10-08_2025-10-14.reconstructed.json') as { result: { list: Record<string, string>[] } };
    const got = (await get(`/bybit/v5/market/funding/history?category=linear&symbol=BTCUSDT&startTime=${T('2025-10-08T00:00:00Z')}&endTime=${T('2025-10-14T16:00:00Z')}&limit=200`)) as typeof want;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(got.result.list.length).toBe(21);
    expect(got.result.list.map((r) => [r['symbol'], Number(r['fundingRate']), r['fundingRateTimestamp']])).toEqual(
      want.result.list.map((r) => [r['symbol'], Number(r['fundingRate']), r['fundingRateTimestamp']]),
    );
  });

  it('hyperliquid info fundingHistory: same rows (jittered times, rate and premium)', async () => {
    const want = fixture('hyperliquid_info_fundingHistory_BTC_2025-10-10_2025-10-11.reconstructed.json') as Record<string, string | number>[];
    const got = (await post('/hyperliquid/info', { type: 'fundingHistory', coin: 'BTC', startTime: T('2025-10-10T00:00:00Z'), endTime: T('2025-10-12T00:00:00Z') - 1 })) as typeof want;
    expect(got.length).toBe(48);
    const norm = (r: Record<string, string | number>): unknown[] => [r['coin'], Number(r['fundingRate']), Number(r['premium']), r['time']];
    expect(got.map(norm)).toEqual(want.map(norm));
  });

  it('binance klines rows have the 12 fields of the real API with the same JSON types', async () => {
    const want = fixture('binance_api_v3_klines_BTCUSDT_1h_2025-09-01_2025-09-02.reconstructed.json') as unknown[][];
    const got = (await get(`/binance/fapi/v1/klines?symbol=BTCUSDT&interval=1h&startTime=${T('2025-10-08T00:00:00Z')}&limit=3`)) as unknown[][];
    expect(got.length).toBe(3);
    for (const row of got) expect(row.map((x) => typeof x)).toEqual(want[0]!.map((x) => typeof x));
    expect(got[0]![0]).toBe(T('2025-10-08T00:00:00Z'));
    expect(got[0]![6]).toBe(T('2025-10-08T01:00:00Z') - 1); // close time
  });
});
