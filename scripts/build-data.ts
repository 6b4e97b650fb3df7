/**
 * Build the bundled Arrow store `data/` from the real data in ../shared/data (see its SOURCES.md and
 * gap_fill/SOURCES.md). Run: `npm run build:data [-- --source <shared/data> --out <dir>]`
 * (env PERPCARRY_SHARED_DATA also sets the source).
 *
 * Every series is built from one or more source files, lowest priority first: a later source wins
 * on equal timestamps (mergeSeries), so the best source (e.g. real API mark prices) goes last.
 * Overlaps between sources are compared and the number of disagreeing rows is written into the
 * provenance notes. Output is deterministic: fixed updatedAt, sorted catalog, no wall clock.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SeriesKind } from '../src/core/ids.js';
import { seriesRelPath } from '../src/core/ids.js';
import { parseInstant } from '../src/core/time.js';
import { readCatalog } from '../src/data/catalog.js';
import { parseSeriesTable, readTable, storeParsed, type ImportFormat, type ParseOptions, type RawTable } from '../src/data/import/index.js';
import { lowerBound, readSeriesFile } from '../src/data/store.js';

/** Recorded as provenance.updatedAt of every bundled file: the newest date in the source snapshot. */
const BUNDLE_DATE = '2026-05-17T00:00:00.000Z';

// Origins, from ../shared/data/SOURCES.md and gap_fill/SOURCES.md.
const AHA_RAW = 'AHA-HH/optimising-funding-rate-arbitrage @ 12204a61a3666eadd13ea311e0eb8b9231d0cf51 : data/raw/Binance/';
const AHA_ALL = 'AHA-HH/optimising-funding-rate-arbitrage @ 110bc95c3474552b14c875d37018c01a30d22a56 : data/all_exchanges.csv';
const YUCHENG = 'yuchengzhang966/funding-rate-efficient-frontier @ 9669d3d957d394ee1e077fcf3132f445b60efbc1 : data_analysis/funding_rate_raw/';
const ROSHAN = 'Roshan7869/algotrading @ db07ceb71ac165a38fe200a86ae48586ed040f60 : user_data/data/binance/';
const TJF = 'TJF19770107/quant-strategy-river @ df4f8c3663db05e51a54e6803faabca4a7c8f954 : data/1h/ETHUSDT_1h.csv';
const KLP = 'Klp61/btc-funding-rate-arb @ 237f5777496d15ed59e0bdbea5da9ed2f20ee373 : notebooks/cache/';
const SONGJH = 'songjonghyun11/freqtrade-custom @ 709aada59f04b57e51f8ef95b4598c4c098d2dc5 : user_data/data/binance/';
const AMINAK = 'aminak58/RL-Trading-Validation @ e42b34eae0d6270aa01c9a5d70bc44194eb190b1 : user_data/data/binance/futures/';
const GROUPM = '0xknxwledge/group-m-finm33150-final @ 64385d37d0696b72f7e1b5f00051fd3b61fcfe69 : data/';
const GRAVESTONE = 'silertrades/gravestone-data @ e6c3307d89bdb3b477cdd21f44e9556fb5741f9c : data/';
const ZUSHEN = 'ZuShen168/funding_rate_data @ 8040d313236b9220baa7a3576e25a94b6ad81de3 : data/funding/';

/** One source file feeding a series. */
interface Step {
  /** Path relative to the shared data directory. */
  file: string;
  /** Upstream origin (repo @ commit : path). */
  origin: string;
  opts: Omit<ParseOptions, 'file' | 'kind' | 'timeframe'>;
  notes?: string[];
}

/** One bundled series and its sources, lowest priority first. */
interface SeriesPlan {
  venue: string;
  symbol: string;
  kind: SeriesKind;
  timeframe?: string;
  steps: Step[];
  notes?: string[];
}

const ALL_EX = 'multi_venue/all_exchanges.csv';
const ALL_EX_OPTS = { timezone: 'Europe/London' } as const;
const ALL_EX_NOTE =
  'all_exchanges.csv labels 8h bars in Europe/London local time: 00/08/16 UTC bars show as 01/09/17 during BST (the "01:00 rows"); ' +
  'verified against Binance perp 1h (the 2023-03-27 01:00 label opens at 27954.3 = the 00:00 UTC 1h open). Funding at a bar = settlement at the bar open.';

const HOUR_MS = 3_600_000;

const BINANCE_BARS_NOTE =
  'alignment measured against the bundled Binance 1h bars over every row: spot and USDT-perp opens/highs/lows/closes equal the 1h klines aggregated from the ' +
  'Europe/London label (median error 0.0 bps in winter and summer; every row with complete 1h data is individually best there, the one exception per spot ' +
  'series is 2023-03-24 08:00, inside the Binance spot outage); coin-margined 2.7-3.5 bps (its own prices, against the USDT perp)';

/**
 * True UTC open of an all_exchanges.csv 8h bar = its label read in Europe/London + this shift (ms),
 * measured by scripts/check-multivenue-alignment.ts against the bundled Binance 1h bars, per venue ×
 * spot/USDT-perp/coin-margined perp × BTC/ETH × winter/summer (median relative open error, bps):
 * Binance rows match at shift 0 (spot and USDT perp 0.0 bps, i.e. the same klines; every row but the
 * 2023-03-24 spot-outage one is individually best there); Bybit and OKX rows match at −4 h in every group (spot 0.6–0.7 bps,
 * Bybit perp 1.0–1.7, OKX perp 3.6–4.6, coin-margined 2.7–6.5 bps, against ≥ 14.9 bps at any other
 * offset), i.e. their bars open at 04/12/20 UTC all year (winter label − 4 h, summer label − 5 h):
 * the upstream put the Bybit/OKX bars under the label of the Binance bar that opens 4 h later.
 */
export const ALL_EX_BAR_OPEN_SHIFT_MS: Readonly<Record<'binance' | 'bybit' | 'okx', number>> = { binance: 0, bybit: -4 * HOUR_MS, okx: -4 * HOUR_MS };

/** How the Bybit/OKX 8h bars of all_exchanges.csv are stamped (docs/bundled-data.md). */
const ALL_EX_SHIFTED_BARS_NOTE =
  'SHIFTED to the true open: this row\'s label (Europe/London) - 4 h, i.e. bars open at 04/12/20 UTC all year (label - 4 h in winter, - 5 h in summer ' +
  'in wall-clock terms). Measured by scripts/check-multivenue-alignment.ts against the bundled Binance 1h bars over every row, median relative open error ' +
  'at the true open: spot 0.6-0.7 bps, Bybit USDT perp 1.0-1.7, OKX USDT perp 3.6-4.6, coin-margined 2.7-6.5 bps, vs >= 14.9 bps at any other offset ' +
  'from -8 h to +8 h (e.g. Bybit BTC perp labelled 2024-02-28 00:00 opens at 57400.0; Binance 1h perp opens at 57390.7 at 2024-02-27 20:00 UTC and at ' +
  '57074.5 at 00:00). The upstream filed these bars under the label of the Binance bar opening 4 h later; earlier bundles stamped them at the label ' +
  '(prices 4 h apart from Binance at the same ts) and then left them out. The funding column of these rows is NOT shifted (see the funding series)';
const BYBIT_FUNDING_NOTE =
  'all_exchanges.csv Bybit funding: timing checked against Binance API funding (no other Bybit source before 2025-03): the rate correlates best with ' +
  'Binance at the same settlement, the Europe/London label = 00/08/16 UTC (USDT BTC 0.84 winter / 0.53 summer vs <= 0.75 / 0.48 one settlement ' +
  'earlier or later; ETH 0.84 / 0.68 vs <= 0.71 / 0.55; BTC coin-margined 0.77 / 0.68 vs <= 0.59 / 0.47; 2023-H1 alone is uninformative, <= 0.22 at ' +
  'every lag, rates sit near the 0.01% floor); unlike the Bybit 8h bars (stored at 04/12/20 UTC) it is not shifted';

const OKX_FUNDING_NOTE =
  'all_exchanges.csv OKX funding: settlement TIMING UNVERIFIED (stamped at the Europe/London label, 00/08/16 UTC, like the other venues; ' +
  'no other OKX source before 2025-12). Its rates correlate best with Binance rates 8-16 h EARLIER (USDT BTC 2023-H1 0.57 at -16 h vs 0.29 at 0; ' +
  '2024-H1 0.86 at -8 h vs 0.76 at 0), which fits OKX fixing each rate one period ahead in that era but cannot rule out a late stamp of 8-16 h';

const ms = (iso: string): number => parseInstant(iso);

function plans(): SeriesPlan[] {
  const out: SeriesPlan[] = [];
  // ---------------- Binance USDT-M funding (BTC from 2019-09, ETH from 2019-11) ----------------
  for (const coin of ['BTC', 'ETH'] as const) {
    const steps: Step[] = [];
    if (coin === 'BTC') {
      steps.push({
        file: 'funding/Funding Rate History_BTCUSDT Perpetual_2024-08-09.csv',
        origin: AHA_RAW + 'Funding Rate History_BTCUSDT Perpetual_2024-08-09.csv',
        opts: { tsColumn: 'Time', timezone: 'Europe/London', rateUnit: 'percent', order: 'desc', columns: { rate: 'Funding Rate', interval_hours: 'Funding Interval' } },
        notes: ['Binance web export: newest-first, percent strings, Europe/London local times, UTF-8 BOM, no trailing newline; equals the utc_normalized file row for row; its 6-decimal percent strings are truncated, so ~5% of rows differ from the API value by 1e-8 and the API sources below win'],
      });
    }
    steps.push({ file: ALL_EX, origin: AHA_ALL, opts: { ...ALL_EX_OPTS, where: { exchange: 'binance', pair: `${coin}USDT` }, columns: { rate: 'funding rate' } }, notes: [ALL_EX_NOTE] });
    steps.push({
      file: `gap_fill/funding/binance_${coin}USDT_funding_${coin === 'BTC' ? '2019-09' : '2019-11'}_2026-05_roshan.csv`,
      origin: ROSHAN + `futures/${coin}_USDT_USDT-1h-funding_rate.feather`,
      opts: { tsColumn: 'fundingTime', columns: { rate: 'fundingRate', mark_price: 'markPrice_approx_markKline1hOpen' } },
      notes: ['mark_price before 2025-08-21 is the 1h mark-kline open at the settlement hour (joined upstream; max rel. diff vs API markPrice ~1.9e-4); empty before 2019-12-23'],
    });
    steps.push({
      file: 'multi_venue/zushen_funding_BTC_ETH_binance_bybit_hyperliquid.csv',
      origin: ZUSHEN + 'venue=binance/data.parquet',
      opts: { tsColumn: 'settlement_ts', where: { venue: 'binance', venue_symbol: `${coin}USDT`, is_predicted: 'false' }, columns: { rate: 'rate_raw', interval_hours: 'interval_hours', mark_price: 'mark_price' } },
      notes: ['from 2025-08-21 mark_price is the real fapi markPrice (zushen); settlement ms jitter snapped to the hour'],
    });
    out.push({ venue: 'binance', symbol: `${coin}/USDT:USDT`, kind: 'funding', steps });
  }
  // ---------------- Binance COIN-M funding ----------------
  out.push({
    venue: 'binance',
    symbol: 'BTC/USD:BTC',
    kind: 'funding',
    steps: [
      {
        file: 'funding/Funding Rate History_BTCUSD CM Perpetual_2024-08-09.csv',
        origin: AHA_RAW + 'Funding Rate History_BTCUSD CM Perpetual_2024-08-09.csv',
        opts: { tsColumn: 'Time', timezone: 'Europe/London', rateUnit: 'percent', order: 'desc', columns: { rate: 'Funding Rate', interval_hours: 'Funding Interval' } },
        notes: ['Binance web export of BTCUSD_PERP, capped at 1000 rows (starts 2023-09-11 despite the file name); percent strings truncated to 1e-8, so all_exchanges (API values) wins on overlap'],
      },
      { file: ALL_EX, origin: AHA_ALL, opts: { ...ALL_EX_OPTS, where: { exchange: 'binance', pair: 'BTCUSDCM' }, columns: { rate: 'funding rate' } }, notes: [ALL_EX_NOTE] },
    ],
  });
  out.push({ venue: 'binance', symbol: 'ETH/USD:ETH', kind: 'funding', steps: [{ file: ALL_EX, origin: AHA_ALL, opts: { ...ALL_EX_OPTS, where: { exchange: 'binance', pair: 'ETHUSDCM' }, columns: { rate: 'funding rate' } }, notes: [ALL_EX_NOTE] }] });
  // ---------------- Bybit / OKX funding ----------------
  for (const coin of ['BTC', 'ETH'] as const) {
    out.push({
      venue: 'bybit',
      symbol: `${coin}/USDT:USDT`,
      kind: 'funding',
      steps: [
        { file: ALL_EX, origin: AHA_ALL, opts: { ...ALL_EX_OPTS, where: { exchange: 'bybit', pair: `${coin}USDT` }, columns: { rate: 'funding rate' } }, notes: [ALL_EX_NOTE, BYBIT_FUNDING_NOTE] },
        { file: 'multi_venue/groupm_funding_rates_BTC_ETH.csv', origin: GROUPM + 'funding_rates.parquet', opts: { where: { venue: 'bybit', coin }, columns: { rate: 'funding_rate' } }, notes: ['groupm: rate per native interval (8h); ms jitter snapped'] },
        { file: 'multi_venue/zushen_funding_BTC_ETH_binance_bybit_hyperliquid.csv', origin: ZUSHEN + 'venue=bybit/data.parquet', opts: { tsColumn: 'settlement_ts', where: { venue: 'bybit', venue_symbol: `${coin}USDT`, is_predicted: 'false' }, columns: { rate: 'rate_raw', interval_hours: 'interval_hours', mark_price: 'mark_price' } } },
      ],
      notes: ['no Bybit source covers 2024-07 → 2025-03: that span is a gap'],
    });
    out.push({
      venue: 'okx',
      symbol: `${coin}/USDT:USDT`,
      kind: 'funding',
      steps: [
        { file: ALL_EX, origin: AHA_ALL, opts: { ...ALL_EX_OPTS, where: { exchange: 'okx', pair: `${coin}USDT` }, columns: { rate: 'funding rate' } }, notes: [ALL_EX_NOTE, OKX_FUNDING_NOTE] },
        { file: 'multi_venue/groupm_funding_rates_BTC_ETH.csv', origin: GROUPM + 'funding_rates.parquet', opts: { where: { venue: 'okx', coin }, columns: { rate: 'funding_rate' } }, notes: ['groupm OKX funding covers only 2025-12-03 → 2026-03-07'] },
      ],
    });
    for (const ex of ['bybit', 'okx'] as const) {
      out.push({ venue: ex, symbol: `${coin}/USD:${coin}`, kind: 'funding', steps: [{ file: ALL_EX, origin: AHA_ALL, opts: { ...ALL_EX_OPTS, where: { exchange: ex, pair: `${coin}USDCM` }, columns: { rate: 'funding rate' } }, notes: [ALL_EX_NOTE, ex === 'bybit' ? BYBIT_FUNDING_NOTE : OKX_FUNDING_NOTE] }] });
    }
    // ---------------- Hyperliquid funding (1h) ----------------
    out.push({
      venue: 'hyperliquid',
      symbol: `${coin}/USDC:USDC`,
      kind: 'funding',
      steps: [
        { file: `funding/hl_${coin}_funding_rates.json`, origin: YUCHENG + `hl_${coin}_funding_rates.json`, opts: { tsColumn: 'time', columns: { rate: 'funding_rate' } }, notes: ['Hyperliquid fundingHistory: rate per 1h; settlement jitter up to 111 s snapped to the hour; 24 pagination holes of ~9 days'] },
        { file: 'multi_venue/zushen_funding_BTC_ETH_binance_bybit_hyperliquid.csv', origin: ZUSHEN + 'venue=hyperliquid/data.parquet', opts: { tsColumn: 'settlement_ts', where: { venue: 'hyperliquid', venue_symbol: coin, is_predicted: 'false' }, columns: { rate: 'rate_raw', interval_hours: 'interval_hours', mark_price: 'mark_price' } } },
      ],
      notes: [
        'groupm hyperliquid funding is NOT used: its values are not settled rates (e.g. 1.2342e-5 where fundingHistory and zushen both say 1.25e-5, and they look shifted by 1 h); hl_*.json and zushen agree exactly on every overlapping hour',
      ],
    });
  }
  // ---------------- Multi-venue 8h bars 2023-01 → 2024-07 ----------------
  // Bybit/OKX rows open 4 h before their label (ALL_EX_BAR_OPEN_SHIFT_MS): stored at their true
  // open, 04/12/20 UTC (a constant phase of 4 h; the Binance bars are on the 00/08/16 grid).
  for (const ex of ['binance', 'bybit', 'okx'] as const) {
    for (const coin of ['BTC', 'ETH'] as const) {
      const pairs: [string, string][] = [[`${coin}/USDT`, `${coin}/USDT`], [`${coin}USDT`, `${coin}/USDT:USDT`], [`${coin}USDCM`, `${coin}/USD:${coin}`]];
      for (const [pair, symbol] of pairs) {
        const shift = ALL_EX_BAR_OPEN_SHIFT_MS[ex];
        out.push({
          venue: ex,
          symbol,
          kind: 'ohlcv',
          timeframe: '8h',
          steps: [{
            file: ALL_EX,
            origin: AHA_ALL,
            opts: { ...ALL_EX_OPTS, where: { exchange: ex, pair }, ...(shift !== 0 ? { tsShiftMs: shift } : {}) },
            notes: [ALL_EX_NOTE, ex === 'binance' ? BINANCE_BARS_NOTE : ALL_EX_SHIFTED_BARS_NOTE],
          }],
        });
      }
    }
  }
  // ---------------- Binance 1h spot / perp / mark ----------------
  for (const coin of ['BTC', 'ETH'] as const) {
    out.push({
      venue: 'binance',
      symbol: `${coin}/USDT`,
      kind: 'ohlcv',
      timeframe: '1h',
      steps: [{ file: `gap_fill/spot/${coin}USDT_1h_spot_2019-09_2026-05_roshan.csv`, origin: ROSHAN + `spot/${coin}_USDT-1h.feather`, opts: {}, notes: ['Binance spot 1h; gaps are exchange outages'] }],
    });
    out.push({
      venue: 'binance',
      symbol: `${coin}/USDT:USDT`,
      kind: 'mark',
      timeframe: '1h',
      steps: [{ file: `gap_fill/mark/${coin}USDT_1h_mark_2019_2026_roshan.csv`, origin: ROSHAN + `futures/${coin}_USDT_USDT-1h-mark.feather`, opts: {}, notes: ['fapi markPriceKlines 1h; values written with 10 significant digits upstream (~1e-7 relative rounding)'] }],
    });
  }
  out.push({
    venue: 'binance',
    symbol: 'BTC/USDT:USDT',
    kind: 'ohlcv',
    timeframe: '1h',
    steps: [{ file: 'gap_fill/perp/BTCUSDT_1h_perp_2019_2026_roshan.csv', origin: ROSHAN + 'futures/BTC_USDT_USDT-1h-futures.feather', opts: {} }],
  });
  out.push({
    venue: 'binance',
    symbol: 'ETH/USDT:USDT',
    kind: 'ohlcv',
    timeframe: '1h',
    steps: [
      { file: 'gap_fill/perp/ETHUSDT_1h_perp_2019-11-27_2020-02-29_roshan.csv', origin: ROSHAN + 'futures/ETH_USDT_USDT-1h-futures.feather (prefix)', opts: {} },
      { file: 'prices/ETHUSDT_1h_perp_TJF.csv', origin: TJF, opts: {}, notes: ['TJF ETH perp 1h from 2020-03-01 (matches groupm Binance perp candles to the cent)'] },
    ],
  });
  // ---------------- Binance BTC 1m crash windows (mid / mark / index) ----------------
  const windows: [number, number][] = [
    [ms('2025-10-08'), ms('2025-10-15')],
    [ms('2026-02-04'), ms('2026-02-09')],
  ];
  const oneMinute: [string, string, SeriesKind, string, string][] = [
    ['BTCUSDT_spot_1m.parquet', 'BTC/USDT', 'ohlcv', 'spot_mid', 'spot "mid" per minute (Klp61 cache; upstream code no longer says whether (h+l)/2 or (o+c)/2 of the kline): stored as open = high = low = close = mid, volume null'],
    ['BTCUSDT_perp_mid_1m.parquet', 'BTC/USDT:USDT', 'ohlcv', 'perp_mid', 'perp "mid" per minute: stored as open = high = low = close = mid, volume null'],
    ['BTCUSDT_perp_mark_1m.parquet', 'BTC/USDT:USDT', 'mark', 'perp_mark', 'markPriceKlines 1m open: stored as open = high = low = close'],
    ['BTCUSDT_index_1m.parquet', 'BTC/USDT:USDT', 'index', 'index_price', 'indexPriceKlines 1m open: stored as open = high = low = close'],
  ];
  for (const [file, symbol, kind, col, note] of oneMinute) {
    out.push({
      venue: 'binance',
      symbol,
      kind,
      timeframe: '1m',
      steps: windows.map(([fromMs, toMs]) => ({ file: `prices/binance_btc_1m_2025_2026/${file}`, origin: KLP + file, opts: { valueColumn: col, fromMs, toMs }, notes: [note] })),
      notes: ['cut to the crash windows 2025-10-08 → 2025-10-15 and 2026-02-04 → 2026-02-09 (the full year stays in shared/ as the benchmark set)'],
    });
  }
  // ---------------- Binance 5m around 2025-02-03 and 2025-10-10 ----------------
  for (const coin of ['BTC', 'ETH'] as const) {
    out.push({
      venue: 'binance',
      symbol: `${coin}/USDT`,
      kind: 'ohlcv',
      timeframe: '5m',
      steps: [{ file: `gap_fill/intraday_5m/${coin}USDT_5m_spot_2025-01-01_2025-05-06_songjh.csv`, origin: SONGJH + `${coin}_USDT-5m.feather`, opts: { fromMs: ms('2025-01-15'), toMs: ms('2025-03-01') }, notes: ['cut to 2025-01-15 → 2025-03-01 around the 2025-02-03 crash'] }],
    });
    out.push({
      venue: 'binance',
      symbol: `${coin}/USDT:USDT`,
      kind: 'ohlcv',
      timeframe: '5m',
      steps: [
        { file: `gap_fill/intraday_5m/${coin}USDT_5m_perp_2025-01-01_2025-03-31_songjh.csv`, origin: SONGJH + `futures/${coin}_USDT_USDT-5m-futures.feather`, opts: { fromMs: ms('2025-01-15'), toMs: ms('2025-03-01') }, notes: ['cut to 2025-01-15 → 2025-03-01'] },
        { file: `gap_fill/intraday_5m/${coin}USDT_5m_perp_${coin === 'BTC' ? '2025-09-19' : '2025-09-27'}_2025-10-27_aminak58.csv`, origin: AMINAK + `${coin}_USDT_USDT-5m-futures.json`, opts: {} },
      ],
    });
  }
  // ---------------- Binance open interest 4h (gravestone) ----------------
  for (const coin of ['BTC', 'ETH'] as const) {
    out.push({
      venue: 'binance',
      symbol: `${coin}/USDT:USDT`,
      kind: 'open_interest',
      timeframe: '4h',
      steps: [{ file: `prices/gravestone/oi_4h/${coin}USDT.csv`, origin: GRAVESTONE + `oi_4h/${coin}USDT.csv`, opts: {}, notes: ['columns as in Binance futures/data/openInterestHist (sumOpenInterest, sumOpenInterestValue): oi_qty in base units, oi_notional in USDT; the last line has no trailing newline and is intact'] }],
    });
  }
  // ---------------- Bybit / Hyperliquid / OKX perp 1h (groupm) ----------------
  for (const [venue, settle] of [['bybit', 'USDT'], ['hyperliquid', 'USDC'], ['okx', 'USDT']] as const) {
    for (const coin of ['BTC', 'ETH'] as const) {
      out.push({
        venue,
        symbol: `${coin}/${settle}:${settle}`,
        kind: 'ohlcv',
        timeframe: '1h',
        steps: [{ file: 'multi_venue/groupm_candles_1h_BTC_ETH.csv', origin: GROUPM + 'candles.parquet', opts: { where: { venue, coin } }, notes: ['groupm perp 1h candles'] }],
      });
    }
  }
  return out;
}

/** Rows of `incoming` whose ts exists in the stored file and whose value differs (rate or close). */
function countConflicts(absPath: string, kind: SeriesKind, incomingTs: Float64Array, incoming: Record<string, Float64Array>): { overlap: number; conflicts: number } {
  if (!existsSync(absPath)) return { overlap: 0, conflicts: 0 };
  const old = readSeriesFile(absPath);
  const col = kind === 'funding' ? 'rate' : 'close';
  let overlap = 0;
  let conflicts = 0;
  for (let k = 0; k < incomingTs.length; k++) {
    const i = lowerBound(old.ts, incomingTs[k]!);
    if (i < old.ts.length && old.ts[i] === incomingTs[k]) {
      overlap++;
      const a = old.columns[col]![i]!;
      const b = incoming[col]![k]!;
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a))) conflicts++;
    }
  }
  return { overlap, conflicts };
}

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the repository root (package.json)');
    d = up;
  }
  return d;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Build every planned series into `outDir` (replacing its contents atomically per directory). */
export async function buildData(sourceDir: string, outDir: string, log: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<void> {
  if (!existsSync(join(sourceDir, 'SOURCES.md'))) throw new Error(`${sourceDir} does not look like shared/data (no SOURCES.md); pass --source`);
  const tmp = `${outDir}.build-tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const tables = new Map<string, RawTable>();
  for (const plan of plans()) {
    const rel = seriesRelPath(plan.venue, plan.symbol, plan.kind, plan.timeframe);
    for (const step of plan.steps) {
      const abs = join(sourceDir, step.file);
      const format: ImportFormat = step.file.endsWith('.json') ? 'json' : step.file.endsWith('.parquet') ? 'parquet' : 'csv';
      // Several series come from one file (all_exchanges.csv feeds 30): read each file once.
      let table = tables.get(abs);
      if (!table) {
        table = await readTable(abs, format);
        tables.set(abs, table);
      }
      const parsed = parseSeriesTable(table, { ...step.opts, format, kind: plan.kind, timeframe: plan.timeframe });
      const { overlap, conflicts } = countConflicts(join(tmp, rel), plan.kind, parsed.series.ts, parsed.series.columns);
      const notes = [...(plan.notes ?? []), ...(step.notes ?? [])];
      if (overlap > 0) notes.push(`${step.file}: ${overlap} rows overlap earlier sources, ${conflicts} differ in ${plan.kind === 'funding' ? 'rate' : 'close'} (this source wins)`);
      const res = storeParsed(parsed, {
        file: step.file,
        dataDir: tmp,
        venue: plan.venue,
        symbol: plan.symbol,
        sources: [step.origin],
        sourceLabel: `shared/data/${step.file}`,
        notes,
        method: 'bundle',
        updatedAt: BUNDLE_DATE,
        ...step.opts,
      });
      log(`${rel.padEnd(44)} ← ${step.file} (${res.added} new, ${res.replaced} replaced, ${res.unchanged} same)${conflicts ? ` [${conflicts} conflicts]` : ''}`);
    }
  }
  // Swap: remove the old store's series directories and catalog, move the new ones in.
  mkdirSync(outDir, { recursive: true });
  for (const name of readdirSync(outDir)) {
    const p = join(outDir, name);
    if (name === 'catalog.json' || (statSync(p).isDirectory() && !name.startsWith('.'))) rmSync(p, { recursive: true, force: true });
  }
  for (const name of readdirSync(tmp)) renameSync(join(tmp, name), join(outDir, name));
  rmSync(tmp, { recursive: true, force: true });
  const cat = readCatalog(outDir);
  const bytes = cat.entries.reduce((s, e) => s + e.bytes, 0);
  log(`${cat.entries.length} series, ${(bytes / 1e6).toFixed(1)} MB in ${outDir}`);
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = repoRoot();
  const source = resolve(argValue('--source') ?? process.env.PERPCARRY_SHARED_DATA ?? join(root, '..', 'shared', 'data'));
  const outDir = resolve(argValue('--out') ?? join(root, 'data'));
  buildData(source, outDir).catch((e: unknown) => {
    process.stderr.write(`build-data: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
