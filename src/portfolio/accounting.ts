/**
 * The accounting formulas, once: the portfolio (live values) and the equity sampler (columns
 * recomputed from snapshots) both use these, so the identity
 *   equity = Σ ledger flows + Σ spot holdings × close + Σ perp qty × (mark − entry)
 * and the attribution signs cannot drift apart between them.
 */
import { maintenanceMargin, type TierTable } from '../venue/margin.js';

/** Unrealized PnL of a perp position, quote units: qty × (mark − entry). */
export function unrealizedPnl(signedQty: number, mark: number, entry: number): number {
  return signedQty * (mark - entry);
}

/** Maintenance margin of a perp position at `mark`, quote units (0 when flat). */
export function positionMaintenance(table: TierTable, signedQty: number, mark: number): number {
  return signedQty === 0 ? 0 : maintenanceMargin(table, Math.abs(signedQty) * mark);
}

/** Binance's margin ratio: maintenance / margin balance; 0 with no maintenance, Infinity when the balance is gone. */
export function marginRatio(maintenance: number, marginBalance: number): number {
  return maintenance === 0 ? 0 : marginBalance > 0 ? maintenance / marginBalance : Infinity;
}

/**
 * Attribution signs: cumulative costs are kept positive; as PnL parts they are `0 − cost` (not
 * `−cost`, so no −0 reaches the output).
 */
export function costAsPnl(cumulativeCost: number): number {
  return 0 - cumulativeCost;
}

/** Trading PnL: realized (trade cash, realized and liquidation PnL) plus inventory at current prices. */
export function tradingPnl(cumRealized: number, inventoryValue: number): number {
  return cumRealized + inventoryValue;
}

/** Drawdown against the running peak (the peak starts at the initial capital); 0 while the peak is ≤ 0. */
export function drawdown(equity: number, peak: number): number {
  return peak > 0 ? equity / peak - 1 : 0;
}
