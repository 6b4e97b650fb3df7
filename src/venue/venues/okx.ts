/**
 * OKX perpetual swaps and spot.
 *
 * Fees: spot 0.08 % / 0.1 %; perpetual swaps 0.02 % / 0.05 % (https://www.okx.com/fees).
 * Tiers BTC-USDT-SWAP/ETH-USDT-SWAP: upper tiers NOT VERIFIED (approximate;
 * https://www.okx.com/trade-market/position/swap). OKX tiers are by position SIZE in contracts, not
 * notional (`/api/v5/public/position-tiers`: tier 1 = mmr 0.004 up to 1000 contracts for BTC-USDT,
 * 5000 for ETH-USDT), so the notional floors here (500k / 300k) match them only near BTC 50k /
 * ETH 600. Liquidation fee 0.5 %: an unverified approximation.
 */
import { tiers, type VenueProfile } from './profile.js';

export const okx: VenueProfile = {
  id: 'okx',
  fees: { spot: { maker: 0.0008, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.0005 } },
  tiers: {
    BTC: tiers([[0, 0.004], [500_000, 0.006], [2_000_000, 0.01], [8_000_000, 0.02], [20_000_000, 0.04], [40_000_000, 0.08], [80_000_000, 0.16]]),
    ETH: tiers([[0, 0.004], [300_000, 0.006], [1_000_000, 0.01], [4_000_000, 0.02], [10_000_000, 0.04], [20_000_000, 0.08], [40_000_000, 0.16]]),
  },
  liquidationFeeRate: 0.005,
  funding: {
    intervalsHours: [8, 4],
    ratePeriod: 'previous',
    notes: ['historically settled the rate published for the previous period; the fetched history already pairs each settlement with the rate it paid'],
  },
};
