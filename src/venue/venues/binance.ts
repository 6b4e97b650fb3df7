/**
 * Binance USDⓈ-M futures and spot.
 *
 * Fees: spot 0.1 % / 0.1 % (https://www.binance.com/en/fee/schedule); USDⓈ-M futures 0.02 % maker /
 * 0.05 % taker (https://www.binance.com/en/fee/futureFee).
 *
 * Tiers BTCUSDT and ETHUSDT: the `/fapi/v1/leverageBracket` answer stored by freqtrade in
 * `freqtrade/exchange/binance_leverage_tiers.json` (github.com/freqtrade/freqtrade, commit
 * 01d10aebcab25c526473c603a88e14eb7d9699cc; the file lists the BTC/ETH 240927 and 241227 quarterlies,
 * so the snapshot is from mid-2024). Each tier's `notionalFloor` and `maintMarginRatio` are copied;
 * the derived deductions equal the file's `cum` values (tested in test/venue/models.test.ts). Both:
 * 0.4 % up to 50k USDT, 0.5 % to 600k, 0.65 % to 3M, 1 % to 12M, … For 2021-era data see
 * `BINANCE_TIERS_2021` in src/venue/margin.ts.
 *
 * Liquidation fee 1.25 %: NOT sourced; see DEFAULT_LIQUIDATION_FEE_RATES in src/venue/liquidation.ts
 * for why it is kept (with the cap it reproduces "issued at the bankruptcy price").
 */
import { tiers, type VenueProfile } from './profile.js';

export const binance: VenueProfile = {
  id: 'binance',
  fees: { spot: { maker: 0.001, taker: 0.001 }, perp: { maker: 0.0002, taker: 0.0005 } },
  tiers: {
    BTC: tiers([[0, 0.004], [50_000, 0.005], [600_000, 0.0065], [3_000_000, 0.01], [12_000_000, 0.02], [70_000_000, 0.025], [100_000_000, 0.05], [230_000_000, 0.1], [480_000_000, 0.125], [600_000_000, 0.15], [800_000_000, 0.25], [1_200_000_000, 0.5]]),
    ETH: tiers([[0, 0.004], [50_000, 0.005], [600_000, 0.0065], [3_000_000, 0.01], [12_000_000, 0.02], [50_000_000, 0.025], [65_000_000, 0.05], [150_000_000, 0.1], [320_000_000, 0.125], [400_000_000, 0.15], [530_000_000, 0.25], [800_000_000, 0.5]]),
  },
  liquidationFeeRate: 0.0125,
  funding: {
    intervalsHours: [8, 4, 1],
    ratePeriod: 'current',
    notes: [
      'rate = premium index + clamp(interest − premium, ±0.05 %), interest 0.01 % per 8 h; caps per symbol (BTCUSDT ±0.3 %)',
      'settlements 00/08/16 UTC for 8 h symbols; some symbols 4 h since Oct 2023; since May 2025 a symbol settling at its cap moves to 1 h for a while',
      'settlement timestamps arrive a few ms late: the importer snaps them to the boundary',
    ],
  },
};
