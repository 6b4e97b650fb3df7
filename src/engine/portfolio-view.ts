/**
 * The strategy's read-only portfolio view: frozen objects of closures over the engine's
 * {@link Portfolio}; every method returns a number or a frozen view, so a hook can read balances,
 * positions and margin but reach no account array.
 */
import type { VenueId } from '../core/ids.js';
import type { Portfolio } from '../portfolio/portfolio.js';
import type { PerpAccountView, PortfolioView } from '../strategy/types.js';

/** Build the sealed portfolio view of a run. */
export function createPortfolioView(portfolio: Portfolio, initialCapital: number): PortfolioView {
  const perpViews = new Map<VenueId, PerpAccountView>();
  const perpAccount = (venue: VenueId): PerpAccountView => {
    let pv = perpViews.get(venue);
    if (!pv) {
      pv = perpAccountView(portfolio, venue);
      perpViews.set(venue, pv);
    }
    return pv;
  };
  const qty = portfolio.qty;
  const isPerp = portfolio.isPerp;
  return Object.freeze({
    equity: () => portfolio.equity(),
    position: (ins) => qty[ins.id]!,
    spotCash: (venue) => portfolio.spotCash[portfolio.venueIndex(venue)]!,
    perpAccount,
    entryPrice: (ins) => (isPerp[ins.id] && qty[ins.id] !== 0 ? portfolio.entry[ins.id]! : NaN),
    spotEquity: (venue) => portfolio.spotEquity(portfolio.venueIndex(venue)),
    initialCapital,
  } satisfies PortfolioView);
}

function perpAccountView(portfolio: Portfolio, venue: VenueId): PerpAccountView {
  const v = portfolio.venueIndex(venue);
  return Object.freeze({
    venue,
    marginBalance: () => portfolio.perpEquity(v),
    walletBalance: () => portfolio.perpWallet(v),
    unrealizedPnl: () => portfolio.perpUnrealized(v),
    maintenanceMargin: () => portfolio.perpMaintenance(v),
    marginRatio: () => portfolio.marginRatio(v),
    liquidationPrice: (ins) => portfolio.liquidationPrice(ins.id),
    markAtMarginRatio: (ins, ratio) => portfolio.markAtMarginRatio(v, ins.id, ratio),
    marginMode: () => portfolio.marginMode[v]!,
    withdrawable: () => portfolio.withdrawable(v, 'perp'),
  } satisfies PerpAccountView);
}
