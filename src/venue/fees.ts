/**
 * Trading fee model: a rate on the traded quote notional, maker or taker, per venue and market type.
 *
 * Defaults are the public base-tier (VIP 0 / non-VIP, no token discount) schedules:
 * - Binance spot 0.1 % / 0.1 % (https://www.binance.com/en/fee/schedule);
 *   Binance USDⓈ-M futures 0.02 % maker / 0.05 % taker (https://www.binance.com/en/fee/futureFee).
 * - Bybit spot 0.1 % / 0.1 %; USDT perpetual 0.02 % / 0.055 % (https://www.bybit.com/en/help-center/article/Trading-Fee-Structure).
 * - OKX spot 0.08 % / 0.1 %; perpetual swaps 0.02 % / 0.05 % (https://www.okx.com/fees).
 * - Hyperliquid perps 0.015 % / 0.045 %; spot 0.04 % / 0.07 % (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/fees).
 * Schedules change; override with the model params (`--config` run.json `models.fee.params`).
 */
import type { VenueId } from '../core/ids.js';

/** Maker and taker rates, decimal (0.0005 = 0.05 %). */
export interface FeeRates {
  maker: number;
  taker: number;
}

/** Rates of one venue for its spot and perp markets. */
export interface VenueFeeRates {
  spot: FeeRates;
  perp: FeeRates;
}

/** Parameters of the fee model: a table by venue id; `default` applies to venues not listed. */
export interface FeeModelParams {
  venues: Record<VenueId, VenueFeeRates>;
  default: VenueFeeRates;
}

/** A named fee model. */
export interface FeeModel {
  readonly name: string;
  readonly params: FeeModelParams;
  /** Fee rate (decimal of notional) for a fill. */
  rate(venue: VenueId, market: 'spot' | 'perp', liquidity: 'maker' | 'taker'): number;
}

/** Base-tier public fee schedules (see the module comment for sources). */
export const DEFAULT_FEE_RATES: Record<VenueId, VenueFeeRates> = {
  binance: { spot: { maker: 0.001, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.0005 } },
  bybit: { spot: { maker: 0.001, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.00055 } },
  okx: { spot: { maker: 0.0008, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.0005 } },
  hyperliquid: { spot: { maker: 0.0004, taker: 0.0007 }, perp: { maker: 0.00015, taker: 0.00045 } },
};

/** `tiered-schedule`: look the rate up in a per-venue table. */
export function scheduleFeeModel(params: Partial<FeeModelParams> = {}): FeeModel {
  const full: FeeModelParams = {
    venues: { ...DEFAULT_FEE_RATES, ...(params.venues ?? {}) },
    default: params.default ?? DEFAULT_FEE_RATES['binance']!,
  };
  return {
    name: 'schedule',
    params: full,
    rate(venue, market, liquidity) {
      const v = full.venues[venue] ?? full.default;
      return v[market][liquidity];
    },
  };
}
