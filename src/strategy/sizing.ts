import type { Instrument, StrategyContext } from './types.js';

/** Perp fee + slippage headroom in the margin transfer, fraction of notional (taker fees are ≤ 0.06 %). */
export const PERP_COST_HEADROOM = 0.002;

/**
 * Notional of each leg of a one-venue spot/perp hedge sized to `capital`: spot notional + perp margin
 * = capital, i.e. notional × (1 + 1/leverage) = capital, less a `cashBuffer` fraction held back.
 */
export function hedgeNotional(capital: number, leverage: number, cashBuffer: number): number {
  return ((capital * leverage) / (leverage + 1)) * (1 - cashBuffer);
}

/**
 * Perp margin to post for `notional` at `leverage`: the initial margin with `cashBuffer` of headroom
 * for the move to the fill price, plus the perp fee and slippage ({@link PERP_COST_HEADROOM}).
 */
export function hedgeMargin(notional: number, leverage: number, cashBuffer: number): number {
  return (notional / leverage) * (1 + cashBuffer) + notional * PERP_COST_HEADROOM;
}

/**
 * Size a one-venue hedge to the current equity and move cash between the venue's spot wallet and
 * perp account so the perp wallet holds exactly the margin it needs. Returns the notional per leg.
 */
export function prepareOneVenueHedge(ctx: StrategyContext, perp: Instrument, leverage: number, cashBuffer: number): number {
  const notional = hedgeNotional(ctx.portfolio.equity(), leverage, cashBuffer);
  const margin = hedgeMargin(notional, leverage, cashBuffer);
  const venue = perp.venue;
  const perpWallet = ctx.portfolio.perpAccount(venue).walletBalance();
  if (perpWallet < margin) {
    ctx.transfer({ fromVenue: venue, fromAccount: 'spot', toVenue: venue, toAccount: 'perp', amount: margin - perpWallet });
  } else if (perpWallet > margin) {
    ctx.transfer({ fromVenue: venue, fromAccount: 'perp', toVenue: venue, toAccount: 'spot', amount: perpWallet - margin });
  }
  return notional;
}
