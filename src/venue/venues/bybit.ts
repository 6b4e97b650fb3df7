/**
 * Bybit USDT perpetuals and spot.
 *
 * Fees: spot 0.1 % / 0.1 %; USDT perpetual 0.02 % / 0.055 %
 * (https://www.bybit.com/en/help-center/article/Trading-Fee-Structure).
 * Tiers BTCUSDT/ETHUSDT: upper tiers NOT VERIFIED (approximate;
 * https://www.bybit.com/en/help-center/article/Risk-Limit-Perpetual-and-Futures). A stored
 * `/v5/market/risk-limit` answer (other projects' fixtures) shows 0.5 % up to a 2M risk limit for
 * BTCUSDT, as here. Treat Bybit liquidation prices as approximate.
 * Liquidation fee 0.5 %: an unverified approximation.
 */
import { tiers, type VenueProfile } from './profile.js';

export const bybit: VenueProfile = {
  id: 'bybit',
  fees: { spot: { maker: 0.001, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.00055 } },
  tiers: {
    BTC: tiers([[0, 0.005], [2_000_000, 0.01], [10_000_000, 0.02], [20_000_000, 0.04], [40_000_000, 0.08], [80_000_000, 0.16]]),
    ETH: tiers([[0, 0.005], [1_000_000, 0.01], [5_000_000, 0.02], [10_000_000, 0.04], [20_000_000, 0.08], [40_000_000, 0.16]]),
  },
  liquidationFeeRate: 0.005,
  funding: {
    intervalsHours: [8, 4, 2, 1],
    ratePeriod: 'current',
    notes: ['same construction as Binance with its own averaging and caps; 8 h for BTC/ETH, shorter for some symbols'],
  },
};
