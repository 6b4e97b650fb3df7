/**
 * Real exchange-originated values behind the loopback exchange emulator, read from
 * /work/shared/data (see SOURCES.md there). Only BTC and two short windows are loaded, so start-up
 * stays fast:
 * - W1 = 2025-10-07 → 2025-10-16 (the Oct-10 crash): Binance perp/spot/mark 1h (Roshan freqtrade
 *   caches), index 1h resampled from the Klp61 1m index series, Binance/Bybit/Hyperliquid funding
 *   (zushen: real API rows with Binance's ms jitter and markPrice, Hyperliquid hourly with jitter),
 *   Bybit and Hyperliquid perp 1h candles (groupm).
 * - W2 = 2026-02-03 → 2026-02-09 (the Feb-5 crash): OKX perp 1h candles and 8h funding (groupm),
 *   with the Binance mark/index/spot values standing in for OKX's.
 * - W3 = 2025-03-09 → 2025-03-18: Hyperliquid perp 1h candles (groupm) and hourly funding
 *   (hl_BTC_funding_rates.json: the `fundingHistory` rows, with their ms jitter; also for W1).
 * - Open interest: Binance 4h openInterestHist (gravestone), 2026-02-20 → 2026-03-19, served for
 *   Bybit too.
 * Where a venue has no real series of a kind here, the Binance values of that kind stand in; the
 * values are real, only the venue label is borrowed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SHARED } from '../../../support/paths.js';

/** The shared real-data directory the emulator serves from (test/support/paths.ts). */
export const SHARED_DATA = SHARED;

/** One candle; all numbers as parsed from the source CSV. */
export interface Candle {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** One funding settlement as the exchange reports it (raw ms, jitter included). */
export interface FundingRow {
  t: number;
  rate: number;
  /** Mark price at settlement (Binance only), else undefined. */
  mark?: number;
  /** Hyperliquid premium, else undefined. */
  premium?: number;
}

/** One open-interest sample: qty in base units, value in quote units. */
export interface OiRow {
  t: number;
  qty: number;
  value: number;
}

/** Everything the emulator serves for one venue's BTC perp (and its spot pair). */
export interface VenueData {
  perp: Candle[];
  spot: Candle[];
  mark: Candle[];
  index: Candle[];
  funding: FundingRow[];
  oi: OiRow[];
}

export type EmulatedVenue = 'binance' | 'bybit' | 'okx' | 'hyperliquid';

const D = (iso: string): number => Date.parse(iso);
export const W1: [number, number] = [D('2025-10-07T00:00:00Z'), D('2025-10-16T00:00:00Z')];
export const W2: [number, number] = [D('2026-02-03T00:00:00Z'), D('2026-02-09T00:00:00Z')];
export const W3: [number, number] = [D('2025-03-09T00:00:00Z'), D('2025-03-18T00:00:00Z')];

function lines(rel: string): string[][] {
  const text = readFileSync(join(SHARED_DATA, rel), 'utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(','));
}

const inAny = (t: number, ws: [number, number][]): boolean => ws.some(([a, b]) => t >= a && t < b);

function klineCsv(rel: string, ws: [number, number][], hasVolume: boolean): Candle[] {
  const out: Candle[] = [];
  for (const f of lines(rel)) {
    const t = Number(f[0]);
    if (!inAny(t, ws)) continue;
    out.push({ t, o: Number(f[2]), h: Number(f[3]), l: Number(f[4]), c: Number(f[5]), v: hasVolume ? Number(f[6]) : 0 });
  }
  return out;
}

/** 1h OHLC of the 1m index price (Binance indexPriceKlines open of each minute). */
function indexHourly(rel: string): Candle[] {
  const byHour = new Map<number, Candle>();
  for (const f of lines(rel)) {
    const t = Number(f[0]);
    const px = Number(f[5]);
    const hour = Math.floor(t / 3_600_000) * 3_600_000;
    const c = byHour.get(hour);
    if (!c) byHour.set(hour, { t: hour, o: px, h: px, l: px, c: px, v: 0 });
    else {
      c.h = Math.max(c.h, px);
      c.l = Math.min(c.l, px);
      c.c = px;
    }
  }
  // keep complete hours only (60 minutes each)
  return [...byHour.values()].sort((a, b) => a.t - b.t);
}

function groupmCandles(venue: string, ws: [number, number][]): Candle[] {
  const out: Candle[] = [];
  for (const f of lines('multi_venue/groupm_candles_1h_BTC_ETH.csv')) {
    if (f[1] !== venue || f[2] !== 'BTC') continue;
    const t = Date.parse(f[0]!);
    if (!inAny(t, ws)) continue;
    out.push({ t, o: Number(f[3]), h: Number(f[4]), l: Number(f[5]), c: Number(f[6]), v: Number(f[7]) });
  }
  return out.sort((a, b) => a.t - b.t);
}

function zushenFunding(venue: string, ws: [number, number][]): FundingRow[] {
  const out: FundingRow[] = [];
  for (const f of lines('multi_venue/zushen_funding_BTC_ETH_binance_bybit_hyperliquid.csv')) {
    if (f[0] !== venue || !f[1]!.startsWith('BTC')) continue;
    const t = Date.parse(f[3]!);
    if (!inAny(t, ws)) continue;
    const mark = f[8] !== undefined && f[8] !== '' ? Number(f[8]) : undefined;
    out.push({ t, rate: Number(f[4]), mark });
  }
  return out.sort((a, b) => a.t - b.t);
}

function groupmFunding(venue: string, ws: [number, number][]): FundingRow[] {
  const out: FundingRow[] = [];
  for (const f of lines('multi_venue/groupm_funding_rates_BTC_ETH.csv')) {
    if (f[1] !== venue || f[2] !== 'BTC') continue;
    const t = Date.parse(f[0]!);
    if (!inAny(t, ws)) continue;
    out.push({ t, rate: Number(f[3]) });
  }
  return out.sort((a, b) => a.t - b.t);
}

function hlFunding(ws: [number, number][]): FundingRow[] {
  const rows = JSON.parse(readFileSync(join(SHARED_DATA, 'funding/hl_BTC_funding_rates.json'), 'utf8')) as { funding_rate: string | number; premium: string | number; time: number }[];
  return rows
    .filter((r) => inAny(r.time, ws))
    .map((r) => ({ t: r.time, rate: Number(r.funding_rate), premium: Number(r.premium) }))
    .sort((a, b) => a.t - b.t);
}

function gravestoneOi(): OiRow[] {
  return lines('prices/gravestone/oi_4h/BTCUSDT.csv').map((f) => ({ t: Number(f[0]), qty: Number(f[2]), value: Number(f[3]) }));
}

let cache: Record<EmulatedVenue, VenueData> | undefined;

/** Load (once per process) the emulator's data for every venue. */
export function loadVenueData(): Record<EmulatedVenue, VenueData> {
  if (cache) return cache;
  const ws = [W1, W2];
  const perp = klineCsv('gap_fill/perp/BTCUSDT_1h_perp_2019_2026_roshan.csv', ws, true);
  const spot = klineCsv('gap_fill/spot/BTCUSDT_1h_spot_2019-09_2026-05_roshan.csv', ws, true);
  const mark = klineCsv('gap_fill/mark/BTCUSDT_1h_mark_2019_2026_roshan.csv', ws, false);
  const index = [
    ...indexHourly('prices/binance_btc_1m_2025_2026/BTCUSDT_1m_spot_perp_mark_index_2025-10-08_to_2025-10-14.csv'),
    ...indexHourly('prices/binance_btc_1m_2025_2026/BTCUSDT_1m_spot_perp_mark_index_2026-02-04_to_2026-02-08.csv'),
  ];
  const oi = gravestoneOi();
  cache = {
    binance: { perp, spot, mark, index, funding: zushenFunding('binance', ws), oi },
    bybit: { perp: groupmCandles('bybit', ws), spot, mark, index, funding: zushenFunding('bybit', ws), oi },
    okx: { perp: groupmCandles('okx', ws), spot, mark, index, funding: groupmFunding('okx', ws), oi: [] },
    hyperliquid: { perp: groupmCandles('hyperliquid', [W3]), spot, mark: [], index: [], funding: hlFunding([W1, W3]), oi: [] },
  };
  return cache;
}
