/**
 * `reverse-carry`: the mirror of the cash-and-carry trade. When trailing funding is negative enough
 * (shorts pay longs), go long the perp and short the same base qty of spot, borrowed at `borrowApr`;
 * exit when funding recovers. The position earns |funding| on the perp leg and pays borrow interest
 * on the spot leg, which the engine's interest model accrues in the ledger.
 */
import type { AdlEvent, BarEvent, FillEvent, FundingEvent, Instrument, LiquidationEvent, RejectEvent, StrategyContext } from '../../src/strategy/types.js';
import { integer, number } from '../../src/core/schema.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { spotPerp, type SpotPerpInstruments } from '../../src/strategy/universe.js';
import { prepareOneVenueHedge } from '../../src/strategy/sizing.js';
import { adlResponseParam, cancelAll, respondToAdl, unwindAfterRefusedRehedge } from '../../src/strategy/reactions.js';


/** `adjusting`: holding, with the answer to an auto-deleveraging (re-hedge or unwind) in flight. */
type Phase = 'flat' | 'entering' | 'holding' | 'exiting' | 'adjusting';

/** The param schema (bounds, defaults, units, help). */
export const reverseCarryParams = {
  lookback: integer({ default: 3, min: 1, max: 1000, unit: 'settlements', help: 'Settlements in the trailing funding mean' }),
  entryApr: number({ default: -0.1, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Enter when trailing funding APR is below this (negative: shorts pay longs)' }),
  exitApr: number({ default: 0, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Exit when trailing funding APR rises to this or above (≥ entryApr)' }),
  leverage: number({ default: 2, min: 1, max: 20, unit: 'x', help: 'Perp leg leverage: perp margin = notional / leverage' }),
  borrowApr: number({ default: 0.05, min: 0, max: 5, unit: 'decimal APR', help: 'Interest on the borrowed spot coins, charged on their quote value' }),
  cashBuffer: number({
    default: 0.01,
    min: 0,
    max: 0.5,
    unit: 'fraction',
    help: 'Fraction of capital held back from the notional; the perp margin gets this much extra headroom for fees, slippage and the move to the fill price',
  }),
  adlResponse: adlResponseParam,
};

/** Validated params of the reverse-carry strategy. */
export type ReverseCarryParams = ParamsOf<typeof reverseCarryParams>;

class ReverseCarry implements DefinedStrategy<SpotPerpInstruments> {
  private spot!: Instrument;
  private perp!: Instrument;
  private phase: Phase = 'flat';
  private entries = 0;
  private fundingReceived = 0;

  constructor(private readonly p: ReverseCarryParams) {}

  onStart(ctx: StrategyContext, legs: SpotPerpInstruments): void {
    this.perp = legs.perp;
    this.spot = legs.spot;
    ctx.setLeverage(this.perp, this.p.leverage);
  }

  onBar(ctx: StrategyContext, bar: BarEvent): void {
    if (bar.instrument.id !== this.perp.id || ctx.orders.size > 0) return;
    const apr = ctx.market.trailingFundingApr(this.perp, this.p.lookback);
    if (this.phase === 'flat' && apr < this.p.entryApr) this.enter(ctx);
    else if (this.phase === 'holding' && !(apr < this.p.exitApr)) this.exit(ctx, 'recovery-exit');
  }

  private enter(ctx: StrategyContext): void {
    // Perp margin = notional / L; what is left (plus the sale proceeds) stays in the spot wallet as
    // collateral for the borrowed coins: notional × (1 + 1/L) = capital, as for delta-neutral.
    const notional = prepareOneVenueHedge(ctx, this.perp, this.p.leverage, this.p.cashBuffer);
    ctx.hedge({ long: this.perp, short: this.spot, notional, tag: 'entry' });
    this.phase = 'entering';
    this.entries++;
  }

  private exit(ctx: StrategyContext, tag: string): void {
    const qty = ctx.portfolio.position(this.perp);
    this.phase = 'exiting';
    if (qty > 0) ctx.hedge({ long: this.spot, short: this.perp, qty, tag });
    // Repay any borrowed coins the hedge did not cover (e.g. after a liquidation of the perp leg).
    const shortLeft = -ctx.portfolio.position(this.spot) - Math.max(qty, 0);
    if (shortLeft > 0) ctx.order({ instrument: this.spot, side: 'buy', qty: shortLeft, tag });
    if (ctx.orders.size === 0) this.phase = 'flat';
  }

  onFill(ctx: StrategyContext, _fill: FillEvent): void {
    this.settle(ctx);
  }

  onReject(ctx: StrategyContext, reject: RejectEvent): void {
    ctx.log.warn(`reverse-carry: ${reject.side} ${reject.instrument.symbol} refused (${reject.reason})`);
    if (reject.instrument === this.perp && unwindAfterRefusedRehedge(ctx, reject, this.spot) > 0) ctx.log.warn('reverse-carry: re-hedge after ADL refused; buying back the naked borrowed spot instead');
    this.settle(ctx);
  }

  /**
   * Once none of its orders is left (`ctx.orders` no longer lists the one just reported) while
   * entering, exiting or adjusting, the phase follows the book: holding if any leg is open, else
   * flat. Idempotent: nothing happens in the settled phases.
   */
  private settle(ctx: StrategyContext): void {
    if (ctx.orders.size > 0 || this.phase === 'flat' || this.phase === 'holding') return;
    const perpQty = ctx.portfolio.position(this.perp);
    const spotQty = ctx.portfolio.position(this.spot);
    if (this.phase === 'entering' && (perpQty === 0) !== (spotQty >= 0)) {
      // One leg filled and the other was refused: close the lone leg rather than hold it unhedged.
      ctx.log.warn(`reverse-carry: hedge entry filled one leg only; closing it`);
      this.phase = 'exiting';
      if (perpQty !== 0) ctx.order({ instrument: this.perp, side: perpQty > 0 ? 'sell' : 'buy', qty: Math.abs(perpQty), reduceOnly: true, tag: 'broken-hedge' });
      if (spotQty < 0) ctx.order({ instrument: this.spot, side: 'buy', qty: -spotQty, tag: 'broken-hedge' });
      return;
    }
    const open = perpQty !== 0 || spotQty !== 0;
    this.phase = open ? 'holding' : 'flat';
  }

  /**
   * The venue deleveraged part of the perp leg: a long perp is deleveraged after a rally, and the borrowed spot is short by that qty. With the book at rest, `adlResponse`
   * buys back as much spot (`unwind`) or re-opens the long (`rehedge`) at the same instant; `ignore` (or orders in flight) holds the naked qty until the exit.
   */
  onAdl(ctx: StrategyContext, adl: AdlEvent): void {
    if (adl.instrument !== this.perp) return;
    const atRest = this.phase === 'holding' && ctx.orders.size === 0;
    const sent = atRest ? respondToAdl(ctx, adl, this.p.adlResponse, this.spot) : 0;
    if (sent > 0) this.phase = 'adjusting';
    ctx.log.warn(`reverse-carry: ${Math.abs(adl.qty)} of the perp leg auto-deleveraged at ${adl.price}; ${sent > 0 ? `${this.p.adlResponse} (order ${sent})` : 'no reaction'}`);
  }

  onFunding(_ctx: StrategyContext, funding: FundingEvent): void {
    this.fundingReceived += funding.amount;
  }

  onLiquidation(ctx: StrategyContext, liq: LiquidationEvent): void {
    ctx.log.warn(`reverse-carry: perp leg liquidated at ${liq.price}; buying back the borrowed spot`);
    cancelAll(ctx);
    this.exit(ctx, 'liquidation-unwind');
  }

  onEnd(ctx: StrategyContext): void {
    ctx.log.info(`reverse-carry: ${this.entries} entries, funding received ${this.fundingReceived.toFixed(2)}`);
  }
}

export default defineStrategy({
  name: 'reverse-carry',
  description: 'Long perp / short borrowed spot while trailing funding is negative; exit on recovery',
  params: reverseCarryParams,
  universe: (input) => spotPerp('reverse-carry', input),
  validateParams: (p) => (p.exitApr < p.entryApr ? [`exitApr (${p.exitApr}) must be ≥ entryApr (${p.entryApr}) for hysteresis`] : []),
  create: (p) => new ReverseCarry(p),
  // The short spot leg is a margin loan; its interest accrues in the ledger at borrowApr.
  runSettings: (p) => ({ allowSpotBorrow: true, interest: { borrowApr: p.borrowApr } }),
});
