/**
 * `funding-threshold`: delta-neutral carry (long spot / short perp, equal base qty, one venue) that
 * enters only when a funding signal clears a threshold, holds at least `minHoldHours`, and is forced
 * out after `maxHoldHours`. Built to study how entry rules trade funding captured against fees paid.
 *
 * The signal is either the latest settled rate or the trailing mean over `lookback` settlements,
 * always expressed as a simple APR (rate × 8760 / intervalHours) so that 8h, 4h and 1h intervals
 * compare on one scale.
 */
import type { AdlEvent, BarEvent, FillEvent, FundingEvent, Instrument, LiquidationEvent, RejectEvent, StrategyContext } from '../../src/strategy/types.js';
import { enumOf, integer, number } from '../../src/core/schema.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { spotPerp, type SpotPerpInstruments } from '../../src/strategy/universe.js';
import { prepareOneVenueHedge } from '../../src/strategy/sizing.js';
import { adlResponseParam, cancelAll, respondToAdl, unwindAfterRefusedRehedge } from '../../src/strategy/reactions.js';
import { MS_PER_HOUR } from '../../src/core/time.js';

/** Simple APR of the latest settlement (rate × 8760 / intervalHours); NaN before the first one. */
export function latestFundingApr(ctx: StrategyContext, perp: Instrument): number {
  if (ctx.market.fundingCount(perp) === 0) return NaN;
  return (ctx.market.fundingRate(perp, 0) * 8760) / ctx.market.fundingIntervalHours(perp, 0);
}


/** `adjusting`: holding, with the answer to an auto-deleveraging (re-hedge or unwind) in flight. */
type Phase = 'flat' | 'entering' | 'holding' | 'exiting' | 'adjusting';

class FundingThreshold implements DefinedStrategy<SpotPerpInstruments> {
  private spot!: Instrument;
  private perp!: Instrument;
  private phase: Phase = 'flat';
  /** When the current position was entered (first fill), ms. */
  private enteredAtMs = NaN;
  /** No new entry before this time (after an exit), ms. */
  private cooldownUntilMs = -Infinity;
  private entries = 0;
  private forcedExits = 0;
  private fundingReceived = 0;
  private feesPaid = 0;

  constructor(private readonly p: FundingThresholdParams) {}

  onStart(ctx: StrategyContext, legs: SpotPerpInstruments): void {
    this.perp = legs.perp;
    this.spot = legs.spot;
    ctx.setLeverage(this.perp, this.p.leverage);
  }

  /** The signal as a simple APR: latest settlement or the trailing mean over `lookback`. */
  signalApr(ctx: StrategyContext): number {
    return this.p.signal === 'latest'
      ? latestFundingApr(ctx, this.perp)
      : ctx.market.trailingFundingApr(this.perp, this.p.lookback);
  }

  onBar(ctx: StrategyContext, bar: BarEvent): void {
    // Decide once per perp bar close; spot bars at the same instant add nothing.
    if (bar.instrument.id !== this.perp.id || ctx.orders.size > 0) return;
    const apr = this.signalApr(ctx);
    if (this.phase === 'flat') {
      if (ctx.now >= this.cooldownUntilMs && apr > this.p.entryApr) this.enter(ctx);
      return;
    }
    if (this.phase !== 'holding') return;
    const heldHours = (ctx.now - this.enteredAtMs) / MS_PER_HOUR;
    if (this.p.maxHoldHours > 0 && heldHours >= this.p.maxHoldHours) {
      this.forcedExits++;
      this.exit(ctx, 'max-hold');
    } else if (heldHours >= this.p.minHoldHours && !(apr > this.p.exitApr)) {
      this.exit(ctx, 'signal-exit');
    }
  }

  private enter(ctx: StrategyContext): void {
    // spot notional + perp margin = capital (less a cash buffer for fees and slippage).
    const notional = prepareOneVenueHedge(ctx, this.perp, this.p.leverage, this.p.cashBuffer);
    ctx.hedge({ long: this.spot, short: this.perp, notional, tag: 'entry' });
    this.phase = 'entering';
    this.entries++;
  }

  private exit(ctx: StrategyContext, tag: string): void {
    const qty = Math.abs(ctx.portfolio.position(this.perp));
    this.phase = 'exiting';
    if (qty > 0) ctx.hedge({ long: this.perp, short: this.spot, qty, tag });
    const spotLeft = ctx.portfolio.position(this.spot) - qty;
    if (spotLeft > 0) ctx.order({ instrument: this.spot, side: 'sell', qty: spotLeft, tag });
    if (ctx.orders.size === 0) this.flat(ctx);
  }

  private flat(ctx: StrategyContext): void {
    this.phase = 'flat';
    this.enteredAtMs = NaN;
    this.cooldownUntilMs = ctx.now + this.p.cooldownHours * MS_PER_HOUR;
  }

  onFill(ctx: StrategyContext, fill: FillEvent): void {
    this.feesPaid += fill.fee + fill.slippage;
    this.settle(ctx, fill.ts);
  }

  onReject(ctx: StrategyContext, reject: RejectEvent): void {
    ctx.log.warn(`funding-threshold: ${reject.side} ${reject.instrument.symbol} refused (${reject.reason})`);
    if (reject.instrument === this.perp && unwindAfterRefusedRehedge(ctx, reject, this.spot) > 0) ctx.log.warn('funding-threshold: re-hedge after ADL refused; selling the naked spot instead');
    this.settle(ctx, reject.ts);
  }

  /**
   * Once none of its orders is left (`ctx.orders` no longer lists the one just reported) while
   * entering, exiting or adjusting, the phase follows the book: holding if any leg is open, else
   * flat. Idempotent: nothing happens in the settled phases.
   */
  private settle(ctx: StrategyContext, ts: number): void {
    if (ctx.orders.size > 0 || this.phase === 'flat' || this.phase === 'holding') return;
    const perpQty = ctx.portfolio.position(this.perp);
    const spotQty = ctx.portfolio.position(this.spot);
    if (this.phase === 'entering' && (perpQty === 0) !== (spotQty <= 0)) {
      // One leg filled and the other was refused: close the lone leg rather than hold it unhedged.
      ctx.log.warn(`funding-threshold: hedge entry filled one leg only; closing it`);
      this.phase = 'exiting';
      if (perpQty !== 0) ctx.order({ instrument: this.perp, side: perpQty < 0 ? 'buy' : 'sell', qty: Math.abs(perpQty), reduceOnly: true, tag: 'broken-hedge' });
      if (spotQty > 0) ctx.order({ instrument: this.spot, side: 'sell', qty: spotQty, tag: 'broken-hedge' });
      return;
    }
    const open = perpQty !== 0 || spotQty > 0;
    if (open && this.phase === 'entering') this.enteredAtMs = ts;
    if (open) this.phase = 'holding';
    else this.flat(ctx);
  }

  /**
   * The venue deleveraged part of the perp leg: the spot leg is long by that qty. With the book at rest, `adlResponse`
   * sells as much spot (`unwind`) or re-opens the short (`rehedge`) at the same instant; `ignore` (or orders in flight) holds the naked qty until the exit.
   */
  onAdl(ctx: StrategyContext, adl: AdlEvent): void {
    if (adl.instrument !== this.perp) return;
    const atRest = this.phase === 'holding' && ctx.orders.size === 0;
    const sent = atRest ? respondToAdl(ctx, adl, this.p.adlResponse, this.spot) : 0;
    if (sent > 0) this.phase = 'adjusting';
    ctx.log.warn(`funding-threshold: ${Math.abs(adl.qty)} of the perp leg auto-deleveraged at ${adl.price}; ${sent > 0 ? `${this.p.adlResponse} (order ${sent})` : 'no reaction'}`);
  }

  onFunding(_ctx: StrategyContext, funding: FundingEvent): void {
    this.fundingReceived += funding.amount;
  }

  onLiquidation(ctx: StrategyContext, liq: LiquidationEvent): void {
    // The perp leg is gone: sell the spot leg rather than hold an unhedged long.
    ctx.log.warn(`funding-threshold: perp leg liquidated at ${liq.price}; closing the spot leg`);
    cancelAll(ctx);
    const spotQty = ctx.portfolio.position(this.spot);
    this.phase = 'exiting';
    if (spotQty > 0) ctx.order({ instrument: this.spot, side: 'sell', qty: spotQty, tag: 'liquidation-unwind' });
    else this.flat(ctx);
  }

  onEnd(ctx: StrategyContext): void {
    ctx.log.info(
      `funding-threshold: ${this.entries} entries, ${this.forcedExits} forced exits at max hold; funding captured ${this.fundingReceived.toFixed(2)} vs fees + slippage paid ${this.feesPaid.toFixed(2)}`,
    );
  }
}

/** The param schema (bounds, defaults, units, help). */
export const fundingThresholdParams = {
  signal: enumOf(['latest', 'mean'], { default: 'mean', help: 'Entry signal: the latest settled rate or the trailing mean over `lookback` settlements' }),
  lookback: integer({ default: 3, min: 1, max: 1000, unit: 'settlements', help: 'Settlements averaged when signal=mean' }),
  entryApr: number({ default: 0.1, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Enter when the signal is above this' }),
  exitApr: number({ default: 0.02, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'After the minimum hold, exit when the signal is at or below this (≤ entryApr)' }),
  minHoldHours: number({ default: 24, min: 0, unit: 'hours', help: 'Hold at least this long after entry, whatever the signal' }),
  maxHoldHours: number({ default: 168, min: 0, unit: 'hours', help: 'Exit after this long regardless of the signal (0 = no limit)' }),
  cooldownHours: number({ default: 8, min: 0, unit: 'hours', help: 'No new entry for this long after an exit' }),
  leverage: number({ default: 2, min: 1, max: 20, unit: 'x', help: 'Perp leg leverage: perp margin = notional / leverage' }),
  cashBuffer: number({
    default: 0.01,
    min: 0,
    max: 0.5,
    unit: 'fraction',
    help: 'Fraction of capital held back from the notional; the perp margin gets this much extra headroom for fees, slippage and the move to the fill price',
  }),
  adlResponse: adlResponseParam,
};

/** Validated params of {@link FundingThreshold}. */
export type FundingThresholdParams = ParamsOf<typeof fundingThresholdParams>;

/** Checks across params: exitApr ≤ entryApr, maxHoldHours (when set) ≥ minHoldHours. */
export function paramProblems(p: FundingThresholdParams): string[] {
  const out: string[] = [];
  if (p.exitApr > p.entryApr) out.push(`exitApr (${p.exitApr}) must not exceed entryApr (${p.entryApr})`);
  if (p.maxHoldHours > 0 && p.maxHoldHours < p.minHoldHours) out.push(`maxHoldHours (${p.maxHoldHours}) is below minHoldHours (${p.minHoldHours})`);
  return out;
}

export default defineStrategy({
  name: 'funding-threshold',
  description: 'Delta-neutral carry entered only when funding clears a threshold, with minimum and maximum holding times',
  params: fundingThresholdParams,
  universe: (input) => spotPerp('funding-threshold', input),
  validateParams: paramProblems,
  create: (p) => new FundingThreshold(p),
});
