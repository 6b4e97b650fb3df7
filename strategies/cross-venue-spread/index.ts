/**
 * `cross-venue-spread`: a funding spread between two venues' perps on the same base. Long the perp
 * where funding is lower, short it where funding is higher, equal base qty, so price moves cancel and
 * the book earns the funding difference. Entry and exit on the annualized spread with hysteresis.
 *
 * Venues settle on different clocks (Binance 8h, Hyperliquid 1h), so rates are compared per hour:
 * a venue's rate over the trailing `lookbackHours` is Σ rate / Σ intervalHours of its settlements in
 * that window (the latest settlement alone if none fall inside), i.e. 0.01%/8h and 0.00125%/1h are equal.
 *
 * Each leg sits in its own venue's perp margin account, and each can be liquidated on its own; with
 * `rebalanceMargin` on, collateral moves from the calmer account to the stressed one.
 */
import type { AdlEvent, BarEvent, FillEvent, FundingEvent, HedgeBrokenEvent, Instrument, LiquidationEvent, RejectEvent, StrategyContext } from '../../src/strategy/types.js';
import { adlResponseParam, cancelAll, respondToAdl, unwindAfterRefusedRehedge } from '../../src/strategy/reactions.js';
import type { Symbol, VenueId } from '../../src/core/ids.js';
import { parseSymbol } from '../../src/core/ids.js';
import { UserError } from '../../src/core/errors.js';
import { boolean, number } from '../../src/core/schema.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { singleSymbol } from '../../src/strategy/universe.js';
import { MS_PER_HOUR } from '../../src/core/time.js';

/** Hours in a 365-day year: simple annualization of a per-hour rate. */
const HOURS_PER_YEAR = 8760;

/**
 * The linear perp symbol for `symbol` on `venue`. Hyperliquid's perps are USDC-margined
 * (ccxt `BTC/USDC:USDC`); the other venues use the quote of `symbol` (`BTC/USDT:USDT`).
 */
export function perpSymbolOn(venue: VenueId, symbol: Symbol): Symbol {
  const p = parseSymbol(symbol);
  const quote = venue === 'hyperliquid' ? 'USDC' : p.settle ?? p.quote;
  return `${p.base}/${quote}:${quote}`;
}

/**
 * Mean funding rate per hour (decimal) of `perp` over the window (now − lookbackHours, now]:
 * Σ rate / Σ intervalHours over the settlements in it, or the latest settlement's rate / intervalHours
 * if none falls inside. NaN before the first settlement.
 */
export function perHourFundingRate(ctx: StrategyContext, perp: Instrument, lookbackHours: number): number {
  const n = ctx.market.fundingCount(perp);
  if (n === 0) return NaN;
  const fromMs = ctx.now - lookbackHours * MS_PER_HOUR;
  let sumRate = 0;
  let sumHours = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0 && !(ctx.market.fundingTs(perp, k) > fromMs)) break;
    sumRate += ctx.market.fundingRate(perp, k);
    sumHours += ctx.market.fundingIntervalHours(perp, k);
  }
  return sumRate / sumHours;
}

/** A desired quote-cash balance of one account. */
export interface CashTarget {
  venue: VenueId;
  account: 'spot' | 'perp';
  /** Desired wallet balance, quote units. */
  amount: number;
}

/**
 * Transfer quote cash between the listed accounts so each reaches its target wallet balance, as far
 * as the listed surpluses allow (surplus accounts give to deficit accounts in list order).
 * Accounts not listed are left alone. Returns the number of transfers made.
 */
export function moveCash(ctx: StrategyContext, targets: readonly CashTarget[]): number {
  const slots = targets.map((t) => ({
    ...t,
    surplus: (t.account === 'spot' ? ctx.portfolio.spotCash(t.venue) : ctx.portfolio.perpAccount(t.venue).walletBalance()) - t.amount,
  }));
  const eps = 1e-9 * Math.max(1, Math.abs(ctx.portfolio.equity()));
  let transfers = 0;
  for (const to of slots) {
    for (const from of slots) {
      if (!(to.surplus < -eps)) break;
      if (from === to || !(from.surplus > eps)) continue;
      const amount = Math.min(from.surplus, -to.surplus);
      ctx.transfer({ fromVenue: from.venue, fromAccount: from.account, toVenue: to.venue, toAccount: to.account, amount });
      from.surplus -= amount;
      to.surplus += amount;
      transfers++;
    }
  }
  return transfers;
}

/** Hours to wait after an entry that filled only one leg (so a refused leg is not retried every bar). */
const BROKEN_HEDGE_WAIT_HOURS = 8;

/**
 * `delevering`: holding, with the orders that cut both legs by `deleverFraction` in flight;
 * `adjusting`: holding, with the answer to an auto-deleveraging (re-hedge or unwind) in flight.
 */
type Phase = 'flat' | 'entering' | 'holding' | 'exiting' | 'delevering' | 'adjusting';

/** The param schema (bounds, defaults, units, help). */
export const crossVenueSpreadParams = {
  lookbackHours: number({ default: 24, min: 1, max: 24 * 90, unit: 'hours', help: 'Window of the per-hour funding mean on each venue' }),
  entryApr: number({ default: 0.2, min: 0, max: 10, unit: 'decimal APR (simple)', help: 'Enter when the annualized per-hour spread between venues exceeds this' }),
  exitApr: number({ default: 0, min: -10, max: 10, unit: 'decimal APR (simple)', help: 'Exit when the held spread (short venue − long venue) falls to this or below (≤ entryApr)' }),
  leverage: number({ default: 3, min: 1, max: 20, unit: 'x', help: 'Leverage of each leg: notional per leg = (capital / 2) × leverage' }),
  rebalanceMargin: boolean({ default: true, help: 'Move collateral from the calmer perp account to the stressed one (off: each leg can be liquidated on its own)' }),
  rebalanceRatio: number({ default: 0.3, min: 0, max: 1, unit: 'margin ratio', help: 'Rebalance when an account’s maintenance margin / margin balance exceeds this' }),
  deleverFraction: number({
    default: 0.25,
    min: 0,
    max: 1,
    unit: 'fraction of qty',
    help: 'When a rebalance finds no withdrawable cash on the calmer venue, cut both legs by this fraction first (0 = never)',
  }),
  cashBuffer: number({
    default: 0.01,
    min: 0,
    max: 0.5,
    unit: 'fraction',
    help: 'Fraction of capital held back from the notional; the perp margin gets this much extra headroom for fees, slippage and the move to the fill price',
  }),
  adlResponse: adlResponseParam,
};

/** Validated params of the cross-venue-spread strategy. */
export type CrossVenueSpreadParams = ParamsOf<typeof crossVenueSpreadParams>;

/** Roles: one perp per venue, in `--venue` order. */
export interface CrossVenueRoles {
  readonly perps: readonly Instrument[];
}

class CrossVenueSpread implements DefinedStrategy<CrossVenueRoles> {
  private perps: readonly Instrument[] = [];
  private readonly lastBarTs: number[] = [];
  /** Whether the one-time warning about legs filling at different times was logged. */
  private warnedPhase = false;
  private phase: Phase = 'flat';
  /** Index into `perps` of the long (low funding) and short (high funding) legs while in a position. */
  private longIx = -1;
  private shortIx = -1;
  private entries = 0;
  /** After an entry that filled one leg only, wait before trying again (ms). */
  private noEntryBeforeMs = -Infinity;
  private rebalances = 0;
  private delevers = 0;
  private adls = 0;
  private readonly fundingByVenue = new Map<VenueId, number>();

  constructor(private readonly p: CrossVenueSpreadParams) {}

  onStart(ctx: StrategyContext, roles: CrossVenueRoles): void {
    this.perps = roles.perps;
    for (let i = 0; i < this.perps.length; i++) this.lastBarTs[i] = -Infinity;
    for (const perp of this.perps) {
      this.fundingByVenue.set(perp.venue, 0);
      ctx.setLeverage(perp, this.p.leverage);
    }
    this.allocateMargin(ctx);
  }

  /** Annualized per-hour funding rate of leg `i` (simple APR). */
  legApr(ctx: StrategyContext, i: number): number {
    return perHourFundingRate(ctx, this.perps[i]!, this.p.lookbackHours) * HOURS_PER_YEAR;
  }

  onBar(ctx: StrategyContext, bar: BarEvent): void {
    // Plain comparisons, no closures: this runs on every bar.
    const id = bar.instrument.id;
    const i = this.perps[0]!.id === id ? 0 : this.perps[1]!.id === id ? 1 : -1;
    if (i < 0) return;
    this.lastBarTs[i] = ctx.now;
    // Decide once both venues have a bar that closed within the last timeframe, so both marks are
    // current: after the second venue's bar when their bars share a phase, at each venue's bar when
    // they do not (bundled Binance 8h bars close at 00/08/16 UTC, Bybit/OKX ones at 04/12/20).
    const freshAfter = ctx.now - ctx.market.timeframeMs;
    if (!(this.lastBarTs[0]! > freshAfter) || !(this.lastBarTs[1]! > freshAfter) || ctx.orders.size > 0) return;
    if (this.lastBarTs[0] !== this.lastBarTs[1] && !this.warnedPhase) {
      this.warnedPhase = true;
      ctx.log.warn(`cross-venue-spread: the venues' bars close at different times (${this.perps[0]!.venue} at ${new Date(this.lastBarTs[0]!).toISOString().slice(11, 16)}, ${this.perps[1]!.venue} at ${new Date(this.lastBarTs[1]!).toISOString().slice(11, 16)} UTC): each leg fills at its own venue's next bar open, so the book is one-legged between the two fills (use bars of the same phase, e.g. 1h, to avoid it)`);
    }
    const a0 = this.legApr(ctx, 0);
    const a1 = this.legApr(ctx, 1);
    if (this.phase === 'flat') {
      if (ctx.now >= this.noEntryBeforeMs && Math.abs(a0 - a1) > this.p.entryApr) this.enter(ctx, a0 < a1 ? 0 : 1, a0 < a1 ? 1 : 0);
    } else if (this.phase === 'holding') {
      const heldSpreadApr = (this.shortIx === 0 ? a0 : a1) - (this.longIx === 0 ? a0 : a1);
      if (!(heldSpreadApr > this.p.exitApr)) this.exit(ctx, 'spread-exit');
      else if (this.p.rebalanceMargin) this.rebalance(ctx);
    }
  }

  /** Move all quote cash into the two perp margin accounts, half each. */
  private allocateMargin(ctx: StrategyContext): void {
    const target = ctx.portfolio.equity() / this.perps.length;
    moveCash(ctx, this.perps.flatMap((x) => [
      { venue: x.venue, account: 'spot' as const, amount: 0 },
      { venue: x.venue, account: 'perp' as const, amount: target },
    ]));
  }

  private enter(ctx: StrategyContext, longIx: number, shortIx: number): void {
    const equity = ctx.portfolio.equity();
    // Each account holds equity / 2; the cash buffer covers fees, slippage and the fill-price move.
    // One qty for both legs, sized on the dearer venue so that both legs' initial margin fits even
    // when the venues' prices differ.
    const perLeg = (equity / 2) * this.p.leverage * (1 - this.p.cashBuffer);
    const qty = perLeg / Math.max(ctx.market.close(this.perps[0]!), ctx.market.close(this.perps[1]!));
    if (!(qty > 0)) return;
    this.longIx = longIx;
    this.shortIx = shortIx;
    ctx.hedge({ long: this.perps[longIx]!, short: this.perps[shortIx]!, qty, tag: 'entry' });
    this.phase = 'entering';
    this.entries++;
  }

  private exit(ctx: StrategyContext, tag: string): void {
    this.phase = 'exiting';
    for (const perp of this.perps) {
      const qty = ctx.portfolio.position(perp);
      if (qty !== 0) ctx.order({ instrument: perp, side: qty > 0 ? 'sell' : 'buy', qty: Math.abs(qty), reduceOnly: true, tag });
    }
    if (ctx.orders.size === 0) this.flat(ctx);
  }

  private flat(ctx: StrategyContext): void {
    this.phase = 'flat';
    this.longIx = -1;
    this.shortIx = -1;
    this.allocateMargin(ctx);
  }

  /** If one account's margin ratio passes `rebalanceRatio`, move collateral to even the margin balances. */
  private rebalance(ctx: StrategyContext): void {
    const a = ctx.portfolio.perpAccount(this.perps[0]!.venue);
    const b = ctx.portfolio.perpAccount(this.perps[1]!.venue);
    const stressed = a.marginRatio() >= b.marginRatio() ? a : b;
    const donor = stressed === a ? b : a;
    if (!(stressed.marginRatio() > this.p.rebalanceRatio)) return;
    // Only withdrawable cash can leave the donor (wallet − initial margin; unrealized profit cannot).
    const amount = Math.min((donor.marginBalance() - stressed.marginBalance()) / 2, donor.withdrawable());
    if (amount > 1e-6 * Math.max(1, stressed.marginBalance())) {
      ctx.transfer({ fromVenue: donor.venue, fromAccount: 'perp', toVenue: stressed.venue, toAccount: 'perp', amount });
      this.rebalances++;
      return;
    }
    // The donor's gain is still unrealized and its margin is all in use: cut both legs by
    // `deleverFraction`, which realizes part of the gain and frees initial margin; the next bar
    // can then move the cash.
    if (!(this.p.deleverFraction > 0)) return;
    for (const perp of this.perps) {
      const q = ctx.portfolio.position(perp);
      if (q !== 0) ctx.order({ instrument: perp, side: q > 0 ? 'sell' : 'buy', qty: Math.abs(q) * this.p.deleverFraction, reduceOnly: true, tag: 'delever' });
    }
    if (ctx.orders.size > 0) this.phase = 'delevering';
    this.delevers++;
  }

  onFill(ctx: StrategyContext, _fill: FillEvent): void {
    this.settle(ctx);
  }

  onReject(ctx: StrategyContext, reject: RejectEvent): void {
    ctx.log.warn(`cross-venue-spread: ${reject.tag} ${reject.side} ${reject.instrument.venue} ${reject.instrument.symbol} refused (${reject.reason})`);
    const other = this.otherLeg(reject.instrument);
    if (other && unwindAfterRefusedRehedge(ctx, reject, other) > 0) ctx.log.warn(`cross-venue-spread: re-hedge after ADL refused on ${reject.instrument.venue}; closing as much of the ${other.venue} leg instead`);
    this.settle(ctx);
  }

  /**
   * A hedge leg was refused after the other filled: the engine has unwound the filled leg (atomic
   * hedge, tag `hedge-unwind`); wait before trying again so a refused leg is not retried every bar.
   */
  onHedgeBroken(ctx: StrategyContext, broken: HedgeBrokenEvent): void {
    ctx.log.warn(`cross-venue-spread: ${broken.tag} hedge broken (${broken.refused.venue} leg refused: ${broken.reason}); the ${broken.filled.venue} leg is unwound, waiting ${BROKEN_HEDGE_WAIT_HOURS} h`);
    this.noEntryBeforeMs = ctx.now + BROKEN_HEDGE_WAIT_HOURS * MS_PER_HOUR;
  }

  /**
   * Once none of its orders is left (`ctx.orders` no longer lists the one just reported) while
   * entering, exiting or delevering, the phase follows the book: holding if a leg is open, else
   * flat. Idempotent: nothing happens in the settled phases.
   */
  private settle(ctx: StrategyContext): void {
    if (ctx.orders.size > 0 || this.phase === 'flat' || this.phase === 'holding') return;
    const q0 = ctx.portfolio.position(this.perps[0]!);
    const q1 = ctx.portfolio.position(this.perps[1]!);
    if (this.phase === 'entering' && (q0 === 0) !== (q1 === 0)) {
      // One leg filled and the other was refused (e.g. the other venue's margin): close the lone leg.
      ctx.log.warn(`cross-venue-spread: entry filled one leg only; closing it and waiting ${BROKEN_HEDGE_WAIT_HOURS} h`);
      this.noEntryBeforeMs = ctx.now + BROKEN_HEDGE_WAIT_HOURS * MS_PER_HOUR;
      this.exit(ctx, 'broken-hedge');
      return;
    }
    if (q0 !== 0 || q1 !== 0) this.phase = 'holding';
    else this.flat(ctx);
  }

  /** The perp of the other venue than `ins`'s (null if `ins` is not one of the legs). */
  private otherLeg(ins: Instrument): Instrument | null {
    const i = this.perps.indexOf(ins);
    return i < 0 ? null : this.perps[1 - i]!;
  }

  /**
   * A venue deleveraged part of one leg (the profitable one: the short after a fall, the long after
   * a rally): the other venue's leg is naked by that qty. With the book at rest, `adlResponse`
   * re-opens it (`rehedge`) or closes as much of the other leg (`unwind`) at this instant's fill;
   * `ignore`, or orders in flight, hold the naked qty until the spread exits.
   */
  onAdl(ctx: StrategyContext, adl: AdlEvent): void {
    const other = this.otherLeg(adl.instrument);
    if (!other) return;
    this.adls++;
    const atRest = this.phase === 'holding' && ctx.orders.size === 0;
    const sent = atRest ? respondToAdl(ctx, adl, this.p.adlResponse, other) : 0;
    if (sent > 0) this.phase = 'adjusting';
    ctx.log.warn(`cross-venue-spread: ${Math.abs(adl.qty)} of the ${adl.instrument.venue} leg auto-deleveraged at ${adl.price}; ${sent > 0 ? `${this.p.adlResponse} (order ${sent})` : 'no reaction'}`);
  }

  onFunding(_ctx: StrategyContext, funding: FundingEvent): void {
    const v = funding.instrument.venue;
    this.fundingByVenue.set(v, (this.fundingByVenue.get(v) ?? 0) + funding.amount);
  }

  onLiquidation(ctx: StrategyContext, liq: LiquidationEvent): void {
    // One leg is gone; the other is now a naked directional position: close it.
    ctx.log.warn(`cross-venue-spread: ${liq.instrument.venue} leg liquidated at ${liq.price}; closing the other leg`);
    cancelAll(ctx);
    this.exit(ctx, 'liquidation-unwind');
  }

  onEnd(ctx: StrategyContext): void {
    const parts = [...this.fundingByVenue].map(([v, x]) => `${v} ${x.toFixed(2)}`).join(', ');
    ctx.log.info(`cross-venue-spread: ${this.entries} entries, ${this.rebalances} margin transfers, ${this.delevers} de-levers, ${this.adls} auto-deleveragings, funding by venue: ${parts}`);
  }
}

export default defineStrategy({
  name: 'cross-venue-spread',
  description: 'Long the perp on the venue with lower funding, short it where funding is higher; per-hour rate comparison',
  params: crossVenueSpreadParams,
  universe(input) {
    if (input.venues.length !== 2 || input.venues[0] === input.venues[1]) {
      throw new UserError(`cross-venue-spread needs exactly two different venues, e.g. --venue binance,hyperliquid (got ${input.venues.join(',') || 'none'})`);
    }
    const symbol = singleSymbol('cross-venue-spread', input);
    return { perps: input.venues.map((venue) => ({ venue, symbol: perpSymbolOn(venue, symbol) })) };
  },
  validateParams: (p) => (p.exitApr > p.entryApr ? [`exitApr (${p.exitApr}) must not exceed entryApr (${p.entryApr})`] : []),
  create: (p) => new CrossVenueSpread(p),
});
