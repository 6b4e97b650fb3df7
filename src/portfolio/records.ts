/**
 * Records the portfolio keeps: one ledger of every cash flow, plus the trades, funding payments
 * and liquidations tables written to the run directory (docs/RUN_FORMAT.md).
 */
import type { UnixMs } from '../core/time.js';
import type { Symbol, VenueId } from '../core/ids.js';

/** Account kinds: a venue's spot wallet or its USDT-margined perp account. */
export type AccountKind = 'spot' | 'perp';

/** Ledger entry types (docs/RUN_FORMAT.md). */
export type LedgerType =
  | 'deposit'
  | 'trade_cash'
  | 'realized_pnl'
  | 'fee'
  | 'slippage'
  | 'funding'
  | 'interest'
  | 'liquidation_fee'
  | 'liquidation_pnl'
  | 'transfer_in'
  | 'transfer_out'
  | 'adl';

/** One cash flow. `amount` is signed quote units (+ = into the account). */
export interface LedgerEntry {
  seq: number;
  ts: UnixMs;
  venue: VenueId;
  account: AccountKind;
  type: LedgerType;
  /** Instrument symbol, '' when none. */
  symbol: Symbol;
  amount: number;
  /** The account's quote cash balance after the flow (perp: wallet balance incl. isolated margins). */
  balanceAfter: number;
  note: string;
}

/** What made a fill: an order (strategy, hedge unwind, close at the end), a liquidation or an ADL close. */
export type FillKind = 'order' | 'liquidation' | 'adl';

/**
 * One fill (liquidations appear with tag `liquidation`). Fee and slippage are positive costs; a
 * liquidation's `fee` is the venue's liquidation fee (attribution line `liquidation`, not `fees`).
 */
export interface TradeRecord {
  ts: UnixMs;
  venue: VenueId;
  symbol: Symbol;
  side: 'buy' | 'sell';
  qty: number;
  /** Fill price incl. slippage (an ADL close: the ADL price). */
  price: number;
  fee: number;
  slippage: number;
  liquidity: 'maker' | 'taker';
  tag: string;
  /** Price the fill is booked at, before slippage (an ADL close: the mark); trading PnL uses it. */
  refPrice: number;
  /** Perp: realized PnL booked by this fill (its closing part), quote units; spot: 0. */
  realizedPnl: number;
  kind: FillKind;
  /**
   * Ledger position of the fill: every ledger entry with `seq` < ledgerSeq was booked before this
   * record (the fill's own realized PnL and costs included), the others after. Orders the fills
   * among funding and interest flows at one timestamp (src/analysis/round-trips.ts).
   */
  ledgerSeq: number;
}

/** One funding settlement applied to a nonzero position; amount = −qty × markPrice × rate. */
export interface FundingRecord {
  ts: UnixMs;
  venue: VenueId;
  symbol: Symbol;
  qty: number;
  markPrice: number;
  rate: number;
  intervalHours: number;
  amount: number;
}

/** One liquidation. `price` is the liquidation price, `markPrice` the adverse mark extreme that hit it. */
export interface LiquidationRecord {
  ts: UnixMs;
  venue: VenueId;
  symbol: Symbol;
  qty: number;
  price: number;
  markPrice: number;
  fee: number;
  /** Total equity just before the liquidation, the position valued at the liquidation price (≥ 0 unless spot is borrowed). */
  equityBefore: number;
  equityAfter: number;
}

/**
 * One auto-deleveraging close. `price` is the close price, `markPrice` the mark then; the part of
 * the realized PnL at the mark is trading PnL, `cost` = |qty| × |price − mark| (≥ 0) is the `adl`
 * attribution line.
 */
export interface AdlRecord {
  ts: UnixMs;
  venue: VenueId;
  symbol: Symbol;
  /** Signed qty closed (a short's is negative). */
  qty: number;
  share: number;
  price: number;
  markPrice: number;
  cost: number;
  score: number;
  light: number;
  cause: string;
}

/** Cumulative PnL attribution, quote units; costs are negative. Sums to equity − initial. */
export interface PnlBreakdown {
  funding: number;
  trading: number;
  fees: number;
  slippage: number;
  interest: number;
  liquidation: number;
  /** Auto-deleveraging: closes at a price worse than the mark (0 when ADL closes at the mark). */
  adl: number;
  total: number;
}
