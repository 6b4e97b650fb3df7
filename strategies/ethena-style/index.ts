/**
 * `ethena-style`: the hedge behind a synthetic dollar. A delta-neutral book (long spot / short perp,
 * equal base qty on each venue) spread over several venues by weight; stablecoins not used as
 * collateral earn a lending APR. When funding turns negative across venues the hedge is unwound into
 * pure lending, and it is put back on when funding recovers. The run's PnL attribution separates what
 * came from funding (`pnl.funding`) from what came from lending (`pnl.interest`).
 */
import type { AdlEvent, BarEvent, FillEvent, FundingEvent, Instrument, LiquidationEvent, RejectEvent, StrategyContext } from '../../src/strategy/types.js';
import type { VenueId } from '../../src/core/ids.js';
import { UserError } from '../../src/core/errors.js';
import { enumOf, number, string } from '../../src/core/schema.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { singleSymbol, spotPerpOf, type SpotPerpInstruments } from '../../src/strategy/universe.js';
import { MS_PER_HOUR } from '../../src/core/time.js';
import { moveCash, perHourFundingRate, type CashTarget } from '../cross-venue-spread/index.js';
import { hedgeMargin, hedgeNotional } from '../../src/strategy/sizing.js';
import { adlResponseParam, cancelAll, respondToAdl, unwindAfterRefusedRehedge } from '../../src/strategy/reactions.js';

const HOURS_PER_YEAR = 8760;

/**
 * Parse `weights` for `venues`: empty ⇒ equal weights; `binance:0.5,bybit:0.3,okx:0.2` by name; or
 * `0.5,0.3,0.2` in venue order. Weights must be ≥ 0 and are normalized to sum to 1.
 */
export function parseWeights(text: string, venues: readonly VenueId[]): number[] {
  const t = text.trim();
  if (t === '') return venues.map(() => 1 / venues.length);
  const parts = t.split(',').map((x) => x.trim());
  let raw: number[];
  if (parts.every((x) => x.includes(':'))) {
    const byVenue = new Map<string, number>();
    for (const x of parts) {
      const [v, w] = x.split(':');
      if (!venues.includes(v!)) throw new UserError(`ethena-style: weights name venue "${v}" which is not in the run (${venues.join(',')})`);
      byVenue.set(v!, Number(w));
    }
    raw = venues.map((v) => byVenue.get(v) ?? 0);
  } else {
    if (parts.length !== venues.length) throw new UserError(`ethena-style: ${parts.length} weights for ${venues.length} venues (${venues.join(',')})`);
    raw = parts.map(Number);
  }
  if (raw.some((w) => !Number.isFinite(w) || w < 0)) throw new UserError(`ethena-style: weights "${text}" must be non-negative numbers`);
  const sum = raw.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new UserError(`ethena-style: weights "${text}" sum to zero`);
  return raw.map((w) => w / sum);
}

/** `adjusting`: hedged, with the answer to an auto-deleveraging (re-hedge or unwind) in flight. */
type Phase = 'lending' | 'entering' | 'hedged' | 'exiting' | 'adjusting';

/** The param schema (bounds, defaults, units, help). */
export const ethenaStyleParams = {
  weights: string({ default: '', help: 'Venue weights: "binance:0.5,bybit:0.3,okx:0.2" or "0.5,0.3,0.2" in --venue order; empty = equal' }),
  lookbackHours: number({ default: 24, min: 1, max: 24 * 90, unit: 'hours', help: 'Window of the per-hour funding mean on each venue' }),
  entryApr: number({ default: 0.05, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Hedge (again) when the weighted funding APR rises above this' }),
  exitApr: number({ default: 0, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Unwind to lending when funding is at or below this (≤ entryApr)' }),
  unwindRule: enumOf(['weighted', 'all'], { default: 'weighted', help: 'Unwind when the weighted mean is ≤ exitApr (weighted) or when every venue is (all)' }),
  leverage: number({ default: 2, min: 1, max: 20, unit: 'x', help: 'Perp leg leverage on each venue: perp margin = notional / leverage' }),
  minLiqDistance: number({ default: 0.15, min: 0, max: 1, unit: 'fraction of mark', help: 'Unwind and re-hedge (re-size) when a short perp is this close to its liquidation price (0 = off)' }),
  lendApr: number({ default: 0.05, min: 0, max: 5, unit: 'decimal APR', help: 'Interest earned on stablecoins idle in spot wallets' }),
  cashBuffer: number({
    default: 0.01,
    min: 0,
    max: 0.5,
    unit: 'fraction',
    help: 'Fraction of capital held back from the notional; the perp margin gets this much extra headroom for fees, slippage and the move to the fill price',
  }),
  adlResponse: adlResponseParam,
};

/** Validated params of the ethena-style strategy. */
export type EthenaStyleParams = ParamsOf<typeof ethenaStyleParams>;

/** Roles: a spot/perp pair per venue, in `--venue` order. */
export interface EthenaRoles {
  readonly legs: readonly SpotPerpInstruments[];
}

interface Leg {
  venue: VenueId;
  spot: Instrument;
  perp: Instrument;
  weight: number;
  lastBarTs: number;
}

class EthenaStyle implements DefinedStrategy<EthenaRoles> {
  private legs: Leg[] = [];
  private phase: Phase = 'lending';
  private entries = 0;
  private unwinds = 0;
  private rehedges = 0;
  private adls = 0;
  private fundingReceived = 0;
  private hedgedHours = 0;
  private lendingHours = 0;
  private lastPhaseTs = NaN;

  constructor(private readonly p: EthenaStyleParams) {}

  onStart(ctx: StrategyContext, roles: EthenaRoles): void {
    const weights = parseWeights(this.p.weights, roles.legs.map((l) => l.perp.venue));
    this.legs = roles.legs.map(({ spot, perp }, i) => ({ venue: perp.venue, perp, spot, weight: weights[i]!, lastBarTs: -Infinity }));
    for (const leg of this.legs) ctx.setLeverage(leg.perp, this.p.leverage);
    this.lastPhaseTs = ctx.now;
    // Everything starts as lending: all stablecoins in the spot wallets, by weight.
    this.moveToTargets(ctx, false);
  }

  /** Per-venue funding as a simple APR of the per-hour mean over `lookbackHours`. */
  legApr(ctx: StrategyContext, leg: Leg): number {
    return perHourFundingRate(ctx, leg.perp, this.p.lookbackHours) * HOURS_PER_YEAR;
  }

  /** Weight-averaged funding APR over venues with weight > 0. */
  bookApr(ctx: StrategyContext): number {
    let s = 0;
    for (const leg of this.legs) if (leg.weight > 0) s += leg.weight * this.legApr(ctx, leg);
    return s;
  }

  onBar(ctx: StrategyContext, bar: BarEvent): void {
    // Plain loops, no closures: this runs on every bar. Decide once every leg's perp has a bar that
    // closed within the last timeframe: at each bar instant when the venues' bars share a phase (after
    // the last leg's bar), and at each venue's instant when they do not (Binance 8h bars close at
    // 00/08/16 UTC, the bundled Bybit/OKX ones at 04/12/20: decisions every 4 h, each on fresh prices).
    const freshAfter = ctx.now - ctx.market.timeframeMs;
    let all = true;
    let mine = false;
    for (const l of this.legs) {
      if (l.perp.id === bar.instrument.id) {
        l.lastBarTs = ctx.now;
        mine = true;
      }
      if (!(l.lastBarTs > freshAfter)) all = false;
    }
    if (!mine || !all || ctx.orders.size > 0) return;
    const apr = this.bookApr(ctx);
    if (this.phase === 'lending') {
      if (apr > this.p.entryApr) this.enter(ctx);
    } else if (this.phase === 'hedged') {
      const negative = this.p.unwindRule === 'all'
        ? this.legs.every((l) => l.weight === 0 || !(this.legApr(ctx, l) > this.p.exitApr))
        : !(apr > this.p.exitApr);
      if (negative) this.unwind(ctx);
      else if (this.nearLiquidation(ctx)) {
        // Re-size instead of being liquidated: unwind now, the next bar re-hedges from equity with
        // fresh margin if funding still qualifies (a round trip of fees instead of a liquidation fee).
        this.rehedges++;
        this.unwind(ctx);
      }
    }
  }

  /**
   * Put cash where the phase needs it: hedged ⇒ perp margin = notional / leverage on each venue and
   * the rest in that venue's spot wallet; lending ⇒ everything in the spot wallets, by weight.
   */
  private moveToTargets(ctx: StrategyContext, hedged: boolean): number[] {
    const equity = ctx.portfolio.equity();
    const L = this.p.leverage;
    const notionals = this.legs.map((l) => (hedged ? hedgeNotional(equity * l.weight, L, this.p.cashBuffer) : 0));
    // Perp margin with headroom for the fill price, fee and slippage (see cashBuffer).
    const margins = notionals.map((n) => hedgeMargin(n, L, this.p.cashBuffer));
    const targets: CashTarget[] = [];
    // Deficits are filled in list order: perp margins first, then spot wallets.
    this.legs.forEach((l, i) => targets.push({ venue: l.venue, account: 'perp', amount: margins[i]! }));
    this.legs.forEach((l, i) => targets.push({ venue: l.venue, account: 'spot', amount: equity * l.weight - margins[i]! }));
    moveCash(ctx, targets);
    return notionals;
  }

  /** Whether a short perp leg's mark is within `minLiqDistance` of its liquidation price. */
  private nearLiquidation(ctx: StrategyContext): boolean {
    if (!(this.p.minLiqDistance > 0)) return false;
    for (const l of this.legs) {
      if (ctx.portfolio.position(l.perp) === 0) continue;
      const liq = ctx.portfolio.perpAccount(l.venue).liquidationPrice(l.perp);
      const mark = ctx.market.mark(l.perp);
      if (Math.abs(liq - mark) / mark < this.p.minLiqDistance) return true;
    }
    return false;
  }

  private enter(ctx: StrategyContext): void {
    this.accrue(ctx);
    const notionals = this.moveToTargets(ctx, true);
    this.legs.forEach((l, i) => {
      if (notionals[i]! > 0) ctx.hedge({ long: l.spot, short: l.perp, notional: notionals[i]!, tag: 'hedge' });
    });
    this.phase = ctx.orders.size > 0 ? 'entering' : 'hedged';
    this.entries++;
  }

  private unwind(ctx: StrategyContext): void {
    this.accrue(ctx);
    this.phase = 'exiting';
    for (const l of this.legs) {
      const perpQty = -ctx.portfolio.position(l.perp);
      const spotQty = ctx.portfolio.position(l.spot);
      const both = Math.min(Math.max(perpQty, 0), Math.max(spotQty, 0));
      if (both > 0) ctx.hedge({ long: l.perp, short: l.spot, qty: both, tag: 'unwind' });
      if (spotQty - both > 0) ctx.order({ instrument: l.spot, side: 'sell', qty: spotQty - both, tag: 'unwind' });
      if (perpQty - both > 0) ctx.order({ instrument: l.perp, side: 'buy', qty: perpQty - both, reduceOnly: true, tag: 'unwind' });
    }
    this.unwinds++;
    if (ctx.orders.size === 0) this.toLending(ctx);
  }

  private toLending(ctx: StrategyContext): void {
    this.phase = 'lending';
    this.moveToTargets(ctx, false);
  }

  /** Book hours spent hedged vs lending since the last phase change. */
  private accrue(ctx: StrategyContext): void {
    const h = (ctx.now - this.lastPhaseTs) / MS_PER_HOUR;
    if (this.phase === 'hedged' || this.phase === 'exiting' || this.phase === 'adjusting') this.hedgedHours += h;
    else this.lendingHours += h;
    this.lastPhaseTs = ctx.now;
  }

  onFill(ctx: StrategyContext, _fill: FillEvent): void {
    this.settle(ctx);
  }

  onReject(ctx: StrategyContext, reject: RejectEvent): void {
    ctx.log.warn(`ethena-style: ${reject.tag} ${reject.side} ${reject.instrument.venue} ${reject.instrument.symbol} refused (${reject.reason})`);
    const leg = this.legs.find((l) => l.perp === reject.instrument);
    if (leg && unwindAfterRefusedRehedge(ctx, reject, leg.spot) > 0) ctx.log.warn(`ethena-style: re-hedge after ADL refused on ${leg.venue}; selling the naked spot instead`);
    this.settle(ctx);
  }

  /**
   * Once none of its orders is left (`ctx.orders` no longer lists the one just reported) while
   * entering, exiting or adjusting, the phase follows the book: hedged if any perp is open, else
   * lending. Idempotent: nothing happens in the settled phases.
   */
  private settle(ctx: StrategyContext): void {
    if (ctx.orders.size > 0 || this.phase === 'lending' || this.phase === 'hedged') return;
    if (this.phase === 'entering') {
      // A venue where one leg filled and the other was refused: close the lone leg.
      for (const l of this.legs) {
        const perpQty = ctx.portfolio.position(l.perp);
        const spotQty = ctx.portfolio.position(l.spot);
        if ((perpQty === 0) === (spotQty <= 0)) continue;
        ctx.log.warn(`ethena-style: ${l.venue} hedge filled one leg only; closing it`);
        if (perpQty !== 0) ctx.order({ instrument: l.perp, side: perpQty < 0 ? 'buy' : 'sell', qty: Math.abs(perpQty), reduceOnly: true, tag: 'broken-hedge' });
        if (spotQty > 0) ctx.order({ instrument: l.spot, side: 'sell', qty: spotQty, tag: 'broken-hedge' });
      }
      if (ctx.orders.size > 0) return;
    }
    if (this.legs.some((l) => ctx.portfolio.position(l.perp) !== 0)) this.phase = 'hedged';
    else this.toLending(ctx);
  }

  /**
   * A venue deleveraged part of a short perp: that venue's spot leg is long by that qty. With the
   * book at rest, `adlResponse` re-opens the short (`rehedge`) or sells that much spot (`unwind`)
   * at this instant's fill; `ignore`, or orders in flight, leave the naked qty until the next unwind.
   */
  onAdl(ctx: StrategyContext, adl: AdlEvent): void {
    const leg = this.legs.find((l) => l.perp === adl.instrument);
    if (!leg) return;
    this.adls++;
    const atRest = this.phase === 'hedged' && ctx.orders.size === 0;
    const sent = atRest ? respondToAdl(ctx, adl, this.p.adlResponse, leg.spot) : 0;
    if (sent > 0) this.phase = 'adjusting';
    ctx.log.warn(`ethena-style: ${Math.abs(adl.qty)} of the ${leg.venue} short auto-deleveraged at ${adl.price}; ${sent > 0 ? `${this.p.adlResponse} (order ${sent})` : 'no reaction'}`);
  }

  onFunding(_ctx: StrategyContext, funding: FundingEvent): void {
    this.fundingReceived += funding.amount;
  }

  onLiquidation(ctx: StrategyContext, liq: LiquidationEvent): void {
    ctx.log.warn(`ethena-style: ${liq.instrument.venue} perp liquidated at ${liq.price}; unwinding the whole book to lending`);
    // Already unwinding (e.g. two venues liquidated at once): the pending orders cover it.
    if (this.phase === 'exiting') return;
    cancelAll(ctx);
    this.phase = 'hedged';
    this.unwind(ctx);
  }

  onEnd(ctx: StrategyContext): void {
    this.accrue(ctx);
    ctx.log.info(
      `ethena-style: ${this.entries} hedges, ${this.unwinds} unwinds (${this.rehedges} to re-size near liquidation), ${this.hedgedHours.toFixed(0)} h hedged / ${this.lendingHours.toFixed(0)} h lending, ${this.adls} auto-deleveragings; ` +
        `funding ${this.fundingReceived.toFixed(2)} (lending interest: pnl.interest in summary.json)`,
    );
  }
}

export default defineStrategy({
  name: 'ethena-style',
  description: 'Delta-neutral book over several venues by weight; idle stablecoins lent; unwinds to lending when funding turns negative',
  params: ethenaStyleParams,
  universe(input) {
    if (input.venues.length < 1) throw new UserError('ethena-style needs at least one venue');
    parseWeights(input.params.weights, input.venues);
    const symbol = singleSymbol('ethena-style', input);
    return { legs: input.venues.map((venue) => spotPerpOf(venue, symbol)) };
  },
  validateParams: (p) => (p.exitApr > p.entryApr ? [`exitApr (${p.exitApr}) must not exceed entryApr (${p.entryApr})`] : []),
  create: (p) => new EthenaStyle(p),
  // Idle stablecoins in spot wallets earn lendApr through the engine's interest model.
  runSettings: (p) => ({ interest: { lendApr: p.lendApr } }),
});
