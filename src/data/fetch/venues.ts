/**
 * What perpcarry knows about each venue it fetches from: page sizes, which kinds ccxt can fetch
 * there, and how a page's time window is passed. Sources: ccxt 4.5 `js/src/{binance,bybit,okx,
 * hyperliquid}.js` (methods and request params) and the exchanges' API docs (page limits).
 */
import type { SeriesKind } from '../../core/ids.js';

/** Venues `data fetch` supports (ccxt exchange ids). */
export type FetchVenue = 'binance' | 'bybit' | 'okx' | 'hyperliquid';
export const FETCH_VENUES: readonly FetchVenue[] = ['binance', 'bybit', 'okx', 'hyperliquid'];

/** Per-venue fetch facts. */
export interface VenueSpec {
  id: FetchVenue;
  /** Rows per request by kind (at or below the exchange maximum). */
  pageLimit: Record<SeriesKind, number>;
  /**
   * Kinds ccxt can fetch for a perp on this venue, with the reason for the others. Hyperliquid has
   * no mark/index candles; OKX open-interest history is per currency (rubik), not per contract.
   */
  unsupported: Partial<Record<SeriesKind, string>>;
  /**
   * How the inclusive window end `e` of a request is passed as ccxt's `until`: most venues treat
   * their end time as inclusive; OKX's `after` cursor is exclusive, so it gets `e + 1`.
   */
  untilExclusive: boolean;
  /** Funding interval assumed for a lone first settlement (see fillFundingIntervals). */
  defaultFundingHours: number;
  /** `options.fetchMarkets.types` that load the perp (and, with spot, the spot) markets only. */
  marketTypes(spot: boolean): string[];
}

const COMMON_LIMITS: Record<SeriesKind, number> = { ohlcv: 1000, mark: 1000, index: 1000, funding: 1000, open_interest: 500 };

/** The venue table. */
export const VENUES: Record<FetchVenue, VenueSpec> = {
  binance: {
    id: 'binance',
    // fapi klines max 1500 (1000 keeps weight at 5); fundingRate max 1000; openInterestHist max 500.
    pageLimit: { ...COMMON_LIMITS },
    unsupported: {},
    untilExclusive: false,
    defaultFundingHours: 8,
    marketTypes: (spot) => (spot ? ['spot', 'linear'] : ['linear']),
  },
  bybit: {
    // v5 kline max 1000; funding/history max 200; open-interest max 200.
    id: 'bybit',
    pageLimit: { ohlcv: 1000, mark: 1000, index: 1000, funding: 200, open_interest: 200 },
    unsupported: {},
    untilExclusive: false,
    defaultFundingHours: 8,
    marketTypes: (spot) => (spot ? ['spot', 'linear'] : ['linear']),
  },
  okx: {
    // history-candles / mark / index candles max 100 per request; funding-rate-history max 400.
    id: 'okx',
    pageLimit: { ohlcv: 100, mark: 100, index: 100, funding: 100, open_interest: 100 },
    unsupported: { open_interest: 'ccxt okx open-interest history is per currency (rubik stats), not per contract' },
    untilExclusive: true,
    defaultFundingHours: 8,
    marketTypes: (spot) => (spot ? ['spot', 'swap'] : ['swap']),
  },
  hyperliquid: {
    // fundingHistory returns at most 500 rows; candleSnapshot at most 5000.
    id: 'hyperliquid',
    pageLimit: { ohlcv: 1000, mark: 1000, index: 1000, funding: 500, open_interest: 500 },
    unsupported: {
      mark: 'hyperliquid has no mark-price candles',
      index: 'hyperliquid has no index-price candles',
      open_interest: 'hyperliquid has no open-interest history endpoint',
    },
    untilExclusive: false,
    defaultFundingHours: 1,
    marketTypes: (spot) => (spot ? ['swap', 'spot'] : ['swap']),
  },
};

/** Look up a venue or throw naming the option. */
export function venueSpec(id: string): VenueSpec {
  if (!(FETCH_VENUES as readonly string[]).includes(id)) {
    throw new Error(`--exchange "${id}" is not supported (choose one of ${FETCH_VENUES.join(', ')})`);
  }
  return VENUES[id as FetchVenue];
}
