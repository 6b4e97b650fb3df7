/**
 * Venue shocks as the engine consults them while it runs: is a venue down (orders refused or
 * queued, no transfers), how long does a transfer between venues take (or is it frozen), by how
 * much is slippage multiplied, and which auto-deleveraging events are scheduled. Pure lookups over
 * the scenario's shocks (few), asked only when an order, a transfer or an ADL time comes up: never
 * per replayed event.
 *
 * Rules (docs/scenarios.md):
 * - Outage `[from, to)` of a venue: its orders are refused (reason `venue-outage`) or, with
 *   `orders: queue`, wait and fill at the first fill step at or after `to`; every transfer into or
 *   out of the venue (also between its own spot and perp accounts) is refused. Liquidations,
 *   funding and ADL go on: the venue's risk engine does not stop.
 * - Transfer delay `[from, to)`: a transfer between two different venues requested in the range,
 *   leaving a listed venue (or any), is refused when `frozen` (withdrawals paused) or arrives
 *   `delayMs` later. Transfers inside one venue (spot ↔ perp) are not withdrawals: never delayed.
 * - Liquidity `[from, to)`: slippage of fills on a listed venue (or any) multiplied; overlapping
 *   shocks multiply.
 */
import type { VenueId } from '../core/ids.js';
import type { UnixMs } from '../core/time.js';
import type { AdlShock, OutageShock, Scenario, TransferDelayShock } from './types.js';

/** What happens to a transfer requested now. */
export type TransferVerdict =
  | { readonly kind: 'now' }
  | { readonly kind: 'delayed'; readonly arriveMs: UnixMs; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** A scheduled ADL event with the scenario it came from. */
export interface ScheduledAdl {
  readonly shock: AdlShock;
  readonly scenario: string;
}

const covers = (s: { fromMs: UnixMs; toMs: UnixMs }, t: UnixMs): boolean => t >= s.fromMs && t < s.toMs;
const lists = (venues: readonly VenueId[], v: VenueId): boolean => venues.length === 0 || venues.includes(v);

/** The venue shocks of a run's scenarios. */
export class VenueConditions {
  readonly #outages: OutageShock[] = [];
  readonly #delays: TransferDelayShock[] = [];
  readonly #liquidity: { venues: readonly VenueId[]; fromMs: UnixMs; toMs: UnixMs; k: number }[] = [];
  /** ADL events, by time (then scenario order). */
  readonly adl: readonly ScheduledAdl[];
  /** True when any venue shock is present (the engine skips every lookup otherwise). */
  readonly active: boolean;

  constructor(scenarios: readonly Pick<Scenario, 'name' | 'shocks'>[]) {
    const adl: ScheduledAdl[] = [];
    for (const sc of scenarios) {
      for (const s of sc.shocks) {
        if (s.type === 'outage') this.#outages.push(s);
        else if (s.type === 'transfer-delay') this.#delays.push(s);
        else if (s.type === 'liquidity') this.#liquidity.push({ venues: s.venues, fromMs: s.fromMs, toMs: s.toMs, k: s.slippageMultiplier });
        else if (s.type === 'adl') adl.push({ shock: s, scenario: sc.name });
      }
    }
    this.adl = adl.map((a, i) => ({ a, i })).sort((x, y) => x.a.shock.atMs - y.a.shock.atMs || x.i - y.i).map((x) => x.a);
    this.active = this.#outages.length + this.#delays.length + this.#liquidity.length + adl.length > 0;
  }

  /** The outage of `venue` covering `t`, or null (the first listed wins when several overlap). */
  outage(venue: VenueId, t: UnixMs): OutageShock | null {
    for (const o of this.#outages) if (o.venue === venue && covers(o, t)) return o;
    return null;
  }

  /** End of the outage of `venue` covering `t` (chained outages followed), or `t` when up. */
  upAt(venue: VenueId, t: UnixMs): UnixMs {
    let at = t;
    for (let o = this.outage(venue, at); o; o = this.outage(venue, at)) at = o.toMs;
    return at;
  }

  /** Fate of a transfer of cash requested at `t` from `fromVenue` to `toVenue`. */
  transfer(fromVenue: VenueId, toVenue: VenueId, t: UnixMs): TransferVerdict {
    for (const v of fromVenue === toVenue ? [fromVenue] : [fromVenue, toVenue]) {
      const o = this.outage(v, t);
      if (o) return { kind: 'refused', reason: `${v} is down until ${new Date(o.toMs).toISOString()} (scenario outage)` };
    }
    if (fromVenue === toVenue) return { kind: 'now' };
    let delayMs = 0;
    for (const d of this.#delays) {
      if (!covers(d, t) || !lists(d.venues, fromVenue)) continue;
      if (d.frozen) return { kind: 'refused', reason: `withdrawals from ${fromVenue} are frozen until ${new Date(d.toMs).toISOString()} (scenario transfer freeze)` };
      delayMs = Math.max(delayMs, d.delayMs);
    }
    return delayMs > 0 ? { kind: 'delayed', arriveMs: t + delayMs, reason: `withdrawals from ${fromVenue} delayed ${delayMs / 60_000} min (scenario)` } : { kind: 'now' };
  }

  /** Slippage multiplier of a fill on `venue` at `t` (1 outside liquidity shocks). */
  slippageMultiplier(venue: VenueId, t: UnixMs): number {
    let k = 1;
    for (const l of this.#liquidity) if (covers(l, t) && lists(l.venues, venue)) k *= l.k;
    return k;
  }
}
