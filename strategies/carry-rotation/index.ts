/**
 * `carry-rotation`: the funding carry (long spot / short linear perp, equal base qty) held on the
 * top `topN` assets of `--symbol BTC/USDT,ETH/USDT,…` by trailing funding APR, on one venue.
 *
 * Every `rebalanceHours` (first at the first bar) the assets are ranked by the simple APR of their
 * per-hour mean funding over `lookbackHours` (Σ rate / Σ interval hours × 8760, so 8h, 4h and 1h
 * settlements compare on one scale). A held asset stays while its APR is above `minApr`; a free
 * slot takes the best asset above `minApr`; a held asset is replaced only when a candidate pays
 * more than `switchApr` above it (a switch costs four taker fills). Exits fill first; the freed
 * cash then sizes the entries: each slot is equity / topN, split between the spot leg and the perp
 * margin (notional × (1 + 1 / leverage) = slot capital, less `cashBuffer`).
 *
 * Every slot shares one cross-margin perp account. When a short perp comes within `minLiqDistance`
 * of its liquidation price (|liq − mark| / mark) — a rally eats the shorts' margin while the gains
 * sit in spot — the whole book is unwound and re-entered at its current targets, which moves the
 * spot gains back into perp margin.
 */
import { integer, number } from '../../src/core/schema.js';
import { MS_PER_HOUR } from '../../src/core/time.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { hedgeMargin, hedgeNotional } from '../../src/strategy/sizing.js';
import { spotPerpPerAsset, type SpotPerpInstruments } from '../../src/strategy/universe.js';
import type { AdlEvent, BarEvent, FillEvent, FundingEvent, HedgeBrokenEvent, LiquidationEvent, RejectEvent, StrategyContext } from '../../src/strategy/types.js';
import { adlResponseParam, respondToAdl, unwindAfterRefusedRehedge } from '../../src/strategy/reactions.js';
import { perHourFundingRate } from '../cross-venue-spread/index.js';

const HOURS_PER_YEAR = 8760;

/** The param schema (bounds, defaults, units, help). */
export const carryRotationParams = {
  topN: integer({ default: 1, min: 1, max: 50, unit: 'assets', help: 'Hold the carry on this many assets at most (the best by trailing funding APR)' }),
  lookbackHours: number({ default: 168, min: 1, max: 24 * 90, unit: 'hours', help: 'Window of the per-hour funding mean that ranks the assets' }),
  rebalanceHours: number({ default: 168, min: 1, max: 24 * 365, unit: 'hours', help: 'Time between rebalances (the first at the first bar)' }),
  minApr: number({ default: 0.05, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Hold an asset only while its trailing APR is above this' }),
  switchApr: number({ default: 0.05, min: 0, max: 10, unit: 'decimal APR (simple)', help: 'Replace a held asset only by one whose trailing APR is higher by more than this (the switching cost threshold)' }),
  leverage: number({ default: 2, min: 1, max: 20, unit: 'x', help: 'Perp leg leverage: perp margin = notional / leverage' }),
  minLiqDistance: number({ default: 0.2, min: 0, max: 1, unit: 'fraction of mark', help: 'Unwind and re-enter the book when a short perp is this close to its liquidation price (0 = never)' }),
  cashBuffer: number({ default: 0.01, min: 0, max: 0.5, unit: 'fraction', help: 'Fraction of each slot held back from the notional for fees, slippage and the move to the fill price' }),
  adlResponse: adlResponseParam,
};

/** Validated params of the carry-rotation strategy. */
export type CarryRotationParams = ParamsOf<typeof carryRotationParams>;

/** Roles: a spot/perp pair per asset of `--symbol`, in the order given. */
export interface CarryRotationRoles {
  readonly assets: readonly SpotPerpInstruments[];
}

/**
 * The assets to hold (indices, ascending) given each asset's trailing APR (NaN = unknown), the ones
 * held now, and the rules above: keep held assets above `minApr`, fill free slots with the best
 * others above it, then swap the worst kept one for the best other while that one is better by more
 * than `switchApr`. Ties go to the lower index.
 */
export function chooseTargets(aprs: readonly number[], held: readonly number[], p: Pick<CarryRotationParams, 'topN' | 'minApr' | 'switchApr'>): number[] {
  const eligible = (i: number): boolean => aprs[i]! > p.minApr;
  const byAprDesc = (a: number, b: number): number => aprs[b]! - aprs[a]! || a - b;
  const keep = held.filter(eligible).sort(byAprDesc).slice(0, p.topN);
  const others = aprs.map((_, i) => i).filter((i) => eligible(i) && !keep.includes(i)).sort(byAprDesc);
  while (keep.length < p.topN && others.length > 0) keep.push(others.shift()!);
  for (;;) {
    const best = others[0];
    if (best === undefined || keep.length === 0) break;
    const worstAt = keep.reduce((w, i, k) => (aprs[i]! < aprs[keep[w]!]! ? k : w), 0);
    if (!(aprs[best]! - aprs[keep[worstAt]!]! > p.switchApr)) break;
    keep[worstAt] = best;
    others.shift();
  }
  return keep.sort((a, b) => a - b);
}

/** `adjusting`: the answer to an auto-deleveraging (re-hedge or unwind) is in flight. */
type Phase = 'idle' | 'exiting' | 'entering' | 'adjusting';

export class CarryRotation implements DefinedStrategy<CarryRotationRoles> {
  private assets: readonly SpotPerpInstruments[] = [];
  private phase: Phase = 'idle';
  /** Assets to enter once the exits have filled. */
  private toEnter: number[] = [];
  private nextRebalanceMs = -Infinity;
  private rebalances = 0;
  private switches = 0;
  private resets = 0;
  private brokenHedges = 0;
  private adls = 0;
  private readonly fundingByAsset: number[] = [];

  constructor(private readonly p: CarryRotationParams) {}

  onStart(ctx: StrategyContext, roles: CarryRotationRoles): void {
    this.assets = roles.assets;
    for (const a of this.assets) {
      ctx.setLeverage(a.perp, this.p.leverage);
      this.fundingByAsset.push(0);
    }
  }

  /** Trailing funding APR of each asset (simple, from the per-hour mean). */
  aprs(ctx: StrategyContext): number[] {
    return this.assets.map((a) => perHourFundingRate(ctx, a.perp, this.p.lookbackHours) * HOURS_PER_YEAR);
  }

  /** Indices of the assets with a short perp position. */
  private held(ctx: StrategyContext): number[] {
    return this.assets.flatMap((a, i) => (ctx.portfolio.position(a.perp) < 0 ? [i] : []));
  }

  onBar(ctx: StrategyContext, bar: BarEvent): void {
    // One decision per instant: on the first asset's perp bar.
    if (bar.instrument !== this.assets[0]!.perp || this.phase !== 'idle') return;
    if (this.nearLiquidation(ctx)) {
      this.resets++;
      this.rebalance(ctx, true);
    } else if (ctx.now >= this.nextRebalanceMs) {
      this.rebalance(ctx, false);
    }
  }

  /** True when a short perp is within `minLiqDistance` of its liquidation price (checked on the mark). */
  private nearLiquidation(ctx: StrategyContext): boolean {
    if (!(this.p.minLiqDistance > 0)) return false;
    const account = ctx.portfolio.perpAccount(this.assets[0]!.perp.venue);
    return this.assets.some((a) => {
      if (!(ctx.portfolio.position(a.perp) < 0)) return false;
      const mark = ctx.market.mark(a.perp);
      return Math.abs(account.liquidationPrice(a.perp) - mark) / mark < this.p.minLiqDistance;
    });
  }

  /** Pick the targets; exit what leaves (everything when `reset`), then enter what joins. */
  private rebalance(ctx: StrategyContext, reset: boolean): void {
    this.rebalances++;
    this.nextRebalanceMs = ctx.now + this.p.rebalanceHours * MS_PER_HOUR;
    const held = this.held(ctx);
    const target = chooseTargets(this.aprs(ctx), held, this.p);
    const exits = reset ? held : held.filter((i) => !target.includes(i));
    this.toEnter = target.filter((i) => reset || !held.includes(i));
    if (!reset) this.switches += Math.min(exits.length, this.toEnter.length);
    for (const i of exits) this.exitAsset(ctx, i, reset ? 'reset' : 'rotate-out');
    // Spot left over from a broken leg or a liquidated perp is sold too.
    for (let i = 0; i < this.assets.length; i++) {
      const a = this.assets[i]!;
      if (!held.includes(i) && ctx.portfolio.position(a.spot) > 0) ctx.order({ instrument: a.spot, side: 'sell', qty: ctx.portfolio.position(a.spot), tag: 'cleanup' });
    }
    if (ctx.orders.size > 0) this.phase = 'exiting';
    else this.enter(ctx);
  }

  private exitAsset(ctx: StrategyContext, i: number, tag: string): void {
    const a = this.assets[i]!;
    const qty = -ctx.portfolio.position(a.perp);
    if (qty > 0) ctx.hedge({ long: a.perp, short: a.spot, qty, tag });
    const spotLeft = ctx.portfolio.position(a.spot) - Math.max(qty, 0);
    if (spotLeft > 0) ctx.order({ instrument: a.spot, side: 'sell', qty: spotLeft, tag });
  }

  /** Size the entries on the equity now, move their perp margin, send the hedges. */
  private enter(ctx: StrategyContext): void {
    const venue = this.assets[0]!.perp.venue;
    const entries = this.toEnter;
    this.toEnter = [];
    const free = ctx.portfolio.perpAccount(venue).withdrawable();
    // A slot is equity / topN, or less when the held slots grew past their share: the new slots
    // share the cash that is free (spot wallet + withdrawable perp margin).
    const freeCash = ctx.portfolio.spotCash(venue) + free;
    const slot = Math.min(ctx.portfolio.equity() / this.p.topN, entries.length > 0 ? freeCash / entries.length : 0);
    const notional = hedgeNotional(Math.max(slot, 0), this.p.leverage, this.p.cashBuffer);
    // Cross margin: the new shorts need their margin free in the perp account (above what the held
    // ones use); anything beyond that goes back to the spot wallet, which pays for the spot legs.
    const need = entries.length * hedgeMargin(notional, this.p.leverage, this.p.cashBuffer);
    if (free > need + 1e-9) ctx.transfer({ fromVenue: venue, fromAccount: 'perp', toVenue: venue, toAccount: 'spot', amount: free - need });
    else if (need > free + 1e-9) ctx.transfer({ fromVenue: venue, fromAccount: 'spot', toVenue: venue, toAccount: 'perp', amount: need - free });
    if (notional > 0) {
      for (const i of entries) {
        const a = this.assets[i]!;
        ctx.hedge({ long: a.spot, short: a.perp, notional, tag: 'rotate-in' });
      }
    }
    this.phase = ctx.orders.size > 0 ? 'entering' : 'idle';
  }

  /**
   * Runs in `onFill`/`onReject`: once none of its orders is left (`ctx.orders` no longer lists the
   * one just reported), the exits are followed by the entries, and the entries by `idle`.
   * Idempotent: nothing happens when idle.
   */
  private settled(ctx: StrategyContext): void {
    if (ctx.orders.size > 0 || this.phase === 'idle') return;
    if (this.phase === 'exiting') this.enter(ctx);
    else this.phase = 'idle';
  }

  onFill(ctx: StrategyContext, _fill: FillEvent): void {
    this.settled(ctx);
  }

  onReject(ctx: StrategyContext, reject: RejectEvent): void {
    ctx.log.warn(`carry-rotation: ${reject.tag} ${reject.side} ${reject.instrument.symbol} refused (${reject.reason})`);
    const asset = this.assets.find((a) => a.perp === reject.instrument);
    if (asset && unwindAfterRefusedRehedge(ctx, reject, asset.spot) > 0) ctx.log.warn(`carry-rotation: re-hedge after ADL refused on ${asset.perp.symbol}; selling the naked spot instead`);
    this.settled(ctx);
  }

  /**
   * One leg of a rotation hedge was refused after the other filled: the engine's atomic hedge has
   * already unwound the filled leg (tag `hedge-unwind`), so the asset is left flat, not one-legged.
   */
  onHedgeBroken(ctx: StrategyContext, broken: HedgeBrokenEvent): void {
    this.brokenHedges++;
    ctx.log.warn(`carry-rotation: ${broken.tag} hedge on ${broken.filled.symbol}/${broken.refused.symbol} broken (${broken.reason}); the filled leg was ${broken.unwindOrderId > 0 ? `unwound by order ${broken.unwindOrderId}` : 'kept'}`);
  }

  /**
   * The venue deleveraged part of one asset's short: its spot leg is long by that qty. Between
   * rebalances (idle, nothing in flight), `adlResponse` re-opens the short (`rehedge`) or sells that
   * much spot (`unwind`) at this instant's fill; `ignore` (or a rebalance in flight) leaves the
   * naked qty until the asset is next rotated out or reset.
   */
  onAdl(ctx: StrategyContext, adl: AdlEvent): void {
    const asset = this.assets.find((a) => a.perp === adl.instrument);
    if (!asset) return;
    this.adls++;
    const atRest = this.phase === 'idle' && ctx.orders.size === 0;
    const sent = atRest ? respondToAdl(ctx, adl, this.p.adlResponse, asset.spot) : 0;
    if (sent > 0) this.phase = 'adjusting';
    ctx.log.warn(`carry-rotation: ${Math.abs(adl.qty)} of the ${asset.perp.symbol} short auto-deleveraged at ${adl.price}; ${sent > 0 ? `${this.p.adlResponse} (order ${sent})` : 'no reaction'}`);
  }

  onFunding(_ctx: StrategyContext, funding: FundingEvent): void {
    const i = this.assets.findIndex((a) => a.perp === funding.instrument);
    if (i >= 0) this.fundingByAsset[i]! += funding.amount;
  }

  onLiquidation(ctx: StrategyContext, liq: LiquidationEvent): void {
    ctx.log.warn(`carry-rotation: ${liq.instrument.symbol} perp liquidated at ${liq.price}; the book is re-entered at the next bar`);
    this.nextRebalanceMs = -Infinity;
  }

  onEnd(ctx: StrategyContext): void {
    const funding = this.assets.map((a, i) => `${a.perp.symbol} ${this.fundingByAsset[i]!.toFixed(2)}`).join(', ');
    ctx.log.info(`carry-rotation: ${this.rebalances} rebalances, ${this.switches} switches, ${this.resets} margin resets, ${this.brokenHedges} broken hedges unwound, ${this.adls} auto-deleveragings; funding by asset: ${funding}`);
  }
}

export default defineStrategy({
  name: 'carry-rotation',
  description: 'Funding carry (long spot / short perp) on the top-N assets of --symbol by trailing funding APR, rebalanced on a schedule with a switching-cost threshold',
  params: carryRotationParams,
  universe: (input) => ({ assets: spotPerpPerAsset('carry-rotation', input) }),
  create: (p) => new CarryRotation(p),
});
