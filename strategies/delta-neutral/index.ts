/**
 * `delta-neutral`: the classic funding carry. Long spot and short the linear perp on one venue in
 * equal base quantity, so price moves cancel and the short collects funding while it is positive.
 *
 * Sizing: spot notional N and perp margin N / leverage add up to the capital, less a 1 % buffer for
 * fees, slippage and basis: N = equity × L / (L + 1) × 0.99.
 * Entry when the simple APR of the trailing `lookback` settlements (mean of rate × 8760 / interval
 * hours) is ≥ `entryApr`; exit when it falls to ≤ `exitApr` (hysteresis: exitApr < entryApr).
 * `topUp`: when the short's mark comes within `minLiqDistance` of its liquidation price (capped
 * at half the distance a top-up restores, 1 / (2 × leverage), so a top-up always moves it back
 * out), or the perp account's margin ratio (maintenance / margin balance) reaches `topUpRatio`,
 * sell spot and buy back the same perp qty so that the proceeds restore the perp margin to
 * notional / leverage; without it a rally can liquidate the short while the gains sit in spot.
 * The margin ratio alone fired about 1 % from the liquidation price, and hourly bars jump past
 * that: the default book was liquidated twice on BTC in 2024 (Mar 4, Nov 21) and once on ETH. If the hedge drifts by more than `rebalanceBand` (e.g. after a liquidation) the book is
 * unwound and re-entered when the signal allows. When the venue auto-deleverages part of the
 * short, `adlResponse` sells as much spot (`unwind`, default) or re-opens the short (`rehedge`)
 * at the same instant (src/strategy/reactions.ts).
 */
import { UserError } from '../../src/core/errors.js';
import { boolean, enumOf, integer, number } from '../../src/core/schema.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { spotPerp, type SpotPerpInstruments } from '../../src/strategy/universe.js';
import type { AdlEvent, BarEvent, FillEvent, FundingEvent, Instrument, LiquidationEvent, PerpAccountView, RejectEvent, StrategyContext } from '../../src/strategy/types.js';
import { adlResponseParam, respondToAdl, unwindAfterRefusedRehedge } from '../../src/strategy/reactions.js';

/** The param schema (bounds, defaults, units, help). */
export const deltaNeutralParams = {
  leverage: number({ default: 2, min: 0.1, max: 20, unit: '×', help: 'perp leg leverage: margin = notional / leverage' }),
  entryApr: number({ default: 0.05, min: -1, max: 10, unit: 'APR', help: 'enter when the trailing funding APR (simple) is at least this' }),
  exitApr: number({ default: 0, min: -1, max: 10, unit: 'APR', help: 'exit when the trailing funding APR falls to this or below (< entryApr)' }),
  lookback: integer({ default: 9, min: 1, max: 1000, unit: 'settlements', help: 'settlements averaged for the signal (9 = 3 days of 8h)' }),
  rebalanceBand: number({ default: 0.05, min: 0, max: 1, help: 'hedge drift |spot + perp| / spot that triggers an unwind and re-entry' }),
  topUp: boolean({ default: true, help: 'move collateral from spot to perp margin when the margin ratio reaches topUpRatio' }),
  topUpRatio: number({ default: 0.5, min: 0.01, max: 0.99, help: 'margin ratio (maintenance / margin balance; 1 = liquidation) that triggers a top-up' }),
  minLiqDistance: number({ default: 0.15, min: 0, max: 1, unit: 'fraction of mark', help: 'top up when the short is this close to its liquidation price, |liq − mark| / mark (capped at 1 / (2 × leverage); 0 = off)' }),
  marginMode: enumOf(['cross', 'isolated'], { default: 'cross', help: 'perp account margin mode' }),
  adlResponse: adlResponseParam,
};

/** Typed params of the strategy. */
export type DeltaNeutralParams = ParamsOf<typeof deltaNeutralParams>;

/** `adjusting`: the answer to an auto-deleveraging (re-hedge or unwind) is in flight. */
type Phase = 'flat' | 'entering' | 'holding' | 'exiting' | 'topping-up' | 'adjusting';

/**
 * Checks across params (each param's own bounds are in the schema): the exit threshold must be
 * strictly below the entry one, else a signal sitting at the threshold enters and exits on every bar.
 */
export function paramProblems(p: Pick<DeltaNeutralParams, 'entryApr' | 'exitApr'>): string[] {
  const out: string[] = [];
  if (!(p.exitApr < p.entryApr)) out.push(`exitApr (${p.exitApr}) must be below entryApr (${p.entryApr}) for hysteresis`);
  return out;
}

/** Fraction of equity kept aside for costs and basis when sizing. */
const SIZE_BUFFER = 0.01;

export class DeltaNeutral implements DefinedStrategy<SpotPerpInstruments> {
  private spot!: Instrument;
  private perp!: Instrument;
  private account!: PerpAccountView;
  private phase: Phase = 'flat';
  private cachedCount = -1;
  private cachedApr = NaN;
  /** Counters for the log at the end. */
  private entries = 0;
  private topUps = 0;
  private rebalances = 0;
  private adls = 0;

  constructor(private readonly p: DeltaNeutralParams) {
    const problems = paramProblems(p);
    if (problems.length > 0) throw new UserError(`delta-neutral: ${problems.join('; ')}`);
  }

  onStart(ctx: StrategyContext, legs: SpotPerpInstruments): void {
    this.perp = legs.perp;
    this.spot = legs.spot;
    ctx.setMarginMode(this.perp.venue, this.p.marginMode);
    ctx.setLeverage(this.perp, this.p.leverage);
    this.account = ctx.portfolio.perpAccount(this.perp.venue);
  }

  /** Simple APR of the trailing `lookback` settlements, cached per settlement count. */
  private signal(ctx: StrategyContext): number {
    const n = ctx.market.fundingCount(this.perp);
    if (n !== this.cachedCount) {
      this.cachedCount = n;
      this.cachedApr = ctx.market.trailingFundingApr(this.perp, this.p.lookback);
    }
    return this.cachedApr;
  }

  onBar(ctx: StrategyContext, bar: BarEvent): void {
    if (bar.instrument !== this.perp || ctx.orders.size > 0) return;
    const apr = this.signal(ctx);
    if (this.phase === 'flat') {
      if (apr >= this.p.entryApr) this.enter(ctx);
      // Below the entry threshold nothing changes until the next settlement (which ends a sleep).
      else ctx.sleep();
      return;
    }
    if (this.phase !== 'holding') return;
    const s = ctx.portfolio.position(this.spot);
    const q = ctx.portfolio.position(this.perp);
    if (s <= 0 || Math.abs(s + q) / s > this.p.rebalanceBand) {
      this.rebalances++;
      this.exit(ctx, 'rebalance');
      return;
    }
    if (apr <= this.p.exitApr) {
      this.exit(ctx, 'exit');
      return;
    }
    if (this.p.topUp && (this.account.marginRatio() >= this.p.topUpRatio || this.nearLiquidation(ctx))) this.topUp(ctx);
    else this.sleepUntilTopUp(ctx);
  }

  /**
   * Holding, in band, no top-up due: until a settlement, a fill or any other event (each ends a
   * sleep), only the short's mark can change the answer — rising to the margin ratio or the
   * liquidation distance of a top-up. Sleep below the lower of the two levels.
   */
  private sleepUntilTopUp(ctx: StrategyContext): void {
    if (!this.p.topUp) {
      ctx.sleep();
      return;
    }
    if (ctx.portfolio.position(this.perp) >= 0) return;
    const byRatio = this.account.markAtMarginRatio(this.perp, this.p.topUpRatio);
    const threshold = this.topUpDistance();
    const liq = this.account.liquidationPrice(this.perp);
    // |liq − mark| / mark < threshold needs mark > liq / (1 + threshold); 1e-9 keeps rounding on the safe side.
    const byLiq = threshold > 0 && liq > 0 ? (liq / (1 + threshold)) * (1 - 1e-9) : Infinity;
    const level = Math.min(byRatio, byLiq);
    if (level > 0) ctx.sleep({ wakeIf: [{ instrument: this.perp, price: 'mark', above: level }] });
  }

  /** The liquidation distance that calls for a top-up: minLiqDistance, capped at half of what a top-up restores. */
  private topUpDistance(): number {
    return Math.min(this.p.minLiqDistance, 0.5 / this.p.leverage);
  }

  /** Whether the short's mark is within the top-up distance of its liquidation price. */
  private nearLiquidation(ctx: StrategyContext): boolean {
    const threshold = this.topUpDistance();
    if (!(threshold > 0) || ctx.portfolio.position(this.perp) >= 0) return false;
    const mark = ctx.market.mark(this.perp);
    const liq = this.account.liquidationPrice(this.perp);
    return mark > 0 && Math.abs(liq - mark) / mark < threshold;
  }

  private enter(ctx: StrategyContext): void {
    const venue = this.perp.venue;
    // Consolidate everything in the spot wallet first (leftovers from a previous round).
    const back = ctx.portfolio.perpAccount(venue).withdrawable();
    if (back > 1e-9) ctx.transfer({ fromVenue: venue, fromAccount: 'perp', toVenue: venue, toAccount: 'spot', amount: back });
    const equity = ctx.portfolio.equity();
    const L = this.p.leverage;
    const notional = ((equity * L) / (L + 1)) * (1 - SIZE_BUFFER);
    if (!(notional > 0)) return;
    const margin = (notional / L) * (1 + SIZE_BUFFER) + notional * 0.001;
    ctx.transfer({ fromVenue: venue, fromAccount: 'spot', toVenue: venue, toAccount: 'perp', amount: margin });
    ctx.hedge({ long: this.spot, short: this.perp, notional, tag: 'enter' });
    this.phase = 'entering';
    this.entries++;
  }

  private exit(ctx: StrategyContext, tag: string): void {
    const s = ctx.portfolio.position(this.spot);
    const q = ctx.portfolio.position(this.perp);
    if (s > 0) ctx.order({ instrument: this.spot, side: 'sell', qty: s, tag });
    if (q !== 0) ctx.order({ instrument: this.perp, side: q < 0 ? 'buy' : 'sell', qty: Math.abs(q), reduceOnly: true, tag });
    this.phase = ctx.orders.size > 0 ? 'exiting' : 'flat';
    if (this.phase === 'flat') this.consolidate(ctx);
  }

  /** Sell spot and buy back the same perp qty so the proceeds restore margin = notional / leverage. */
  private topUp(ctx: StrategyContext): void {
    const pa = ctx.portfolio.perpAccount(this.perp.venue);
    const price = ctx.market.mark(this.perp);
    const s = ctx.portfolio.position(this.spot);
    const L = this.p.leverage;
    const x = ((s * price) / L - pa.marginBalance()) / (price * (1 + 1 / L));
    if (!(x > 0)) return;
    const qty = Math.min(x * (1 + SIZE_BUFFER), s);
    ctx.order({ instrument: this.spot, side: 'sell', qty, tag: 'topup' });
    ctx.order({ instrument: this.perp, side: 'buy', qty, reduceOnly: true, tag: 'topup' });
    this.phase = 'topping-up';
    this.topUps++;
  }

  private consolidate(ctx: StrategyContext): void {
    const venue = this.perp.venue;
    const back = ctx.portfolio.perpAccount(venue).withdrawable();
    if (back > 1e-9) ctx.transfer({ fromVenue: venue, fromAccount: 'perp', toVenue: venue, toAccount: 'spot', amount: back });
  }

  /**
   * Runs in `onFill`/`onReject`: once none of the strategy's orders is left (`ctx.orders` no longer
   * lists the one just reported), the phase follows the book. Idempotent: the settled phases
   * (`flat`, `holding`) do nothing, as when both legs of a refused hedge are reported.
   */
  private settled(ctx: StrategyContext): void {
    if (ctx.orders.size > 0) return;
    if (this.phase === 'entering' || this.phase === 'topping-up' || this.phase === 'adjusting') {
      if (this.phase === 'topping-up') {
        const cash = ctx.portfolio.spotCash(this.spot.venue);
        if (cash > 0) {
          ctx.transfer({
            fromVenue: this.spot.venue,
            fromAccount: 'spot',
            toVenue: this.perp.venue,
            toAccount: 'perp',
            amount: cash,
            ...(this.p.marginMode === 'isolated' ? { instrument: this.perp } : {}),
          });
        }
      }
      this.phase = ctx.portfolio.position(this.perp) !== 0 || ctx.portfolio.position(this.spot) > 0 ? 'holding' : 'flat';
    } else if (this.phase === 'exiting') {
      this.consolidate(ctx);
      this.phase = 'flat';
    }
  }

  onFill(ctx: StrategyContext, _fill: FillEvent): void {
    this.settled(ctx);
  }

  onReject(ctx: StrategyContext, reject: RejectEvent): void {
    ctx.log.warn(`delta-neutral: ${reject.tag} order ${reject.orderId} rejected (${reject.reason})`);
    if (unwindAfterRefusedRehedge(ctx, reject, this.spot) > 0) ctx.log.warn('delta-neutral: re-hedge after ADL refused; selling the naked spot instead');
    this.settled(ctx);
  }

  onLiquidation(ctx: StrategyContext, liq: LiquidationEvent): void {
    ctx.log.warn(`delta-neutral: perp leg liquidated (${liq.qty} at ${liq.price}); the spot leg is now unhedged`);
  }

  /**
   * The venue deleveraged part of the short: the spot leg is long by that qty. With the book at
   * rest, `adlResponse` re-opens the short (`rehedge`) or sells that much spot (`unwind`) at this
   * instant's fill; `ignore`, or orders already in flight, leave it to the rebalance band.
   */
  onAdl(ctx: StrategyContext, adl: AdlEvent): void {
    if (adl.instrument !== this.perp) return;
    this.adls++;
    const atRest = this.phase === 'holding' && ctx.orders.size === 0;
    const sent = atRest ? respondToAdl(ctx, adl, this.p.adlResponse, this.spot) : 0;
    if (sent > 0) this.phase = 'adjusting';
    ctx.log.warn(`delta-neutral: ${Math.abs(adl.qty)} of the short auto-deleveraged at ${adl.price}; ${sent > 0 ? `${this.p.adlResponse} (order ${sent})` : 'no reaction (the rebalance band decides)'}`);
  }

  onFunding(_ctx: StrategyContext, _funding: FundingEvent): void {
    // Nothing to do: the signal is read from the market view (cached per settlement count).
  }

  onEnd(ctx: StrategyContext): void {
    ctx.log.info(`delta-neutral: ${this.entries} entries, ${this.topUps} top-ups, ${this.rebalances} rebalances, ${this.adls} auto-deleveragings`);
  }
}

export default defineStrategy({
  name: 'delta-neutral',
  description: 'Long spot / short perp in equal qty on one venue; collects funding while the trailing APR is high enough.',
  params: deltaNeutralParams,
  universe: (input) => spotPerp('delta-neutral', input),
  validateParams: paramProblems,
  create: (p) => new DeltaNeutral(p),
});
