/**
 * Hyperliquid perps and spot.
 *
 * Fees: perps 0.015 % / 0.045 %; spot 0.04 % / 0.07 %
 * (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/fees). No tier table here: perps use the
 * margin model's conservative default table. Liquidation fee 0.5 %: an unverified approximation.
 */
import type { VenueProfile } from './profile.js';

export const hyperliquid: VenueProfile = {
  id: 'hyperliquid',
  fees: { spot: { maker: 0.0004, taker: 0.0007 }, perp: { maker: 0.00015, taker: 0.00045 } },
  tiers: {},
  liquidationFeeRate: 0.005,
  funding: {
    intervalsHours: [1],
    ratePeriod: 'current',
    notes: ['settles hourly; the hourly rate is one eighth of the published 8 h-equivalent rate', 'no mark or index candles: the perp close stands in for the mark'],
  },
};
