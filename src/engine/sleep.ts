/**
 * A strategy's sleep (`ctx.sleep`): its promise that `onBar` would do nothing until a price level
 * is reached, a time passes or anything else happens. The engine asks {@link SleepState.asleep}
 * before delivering the bars of an instant; src/engine/quiet-skip.ts replays the quiet stretch in
 * bulk. Levels live in typed arrays, so a sleep allocates nothing once they have grown.
 */
import type { UnixMs } from '../core/time.js';
import type { SleepRequest, WakeLevel } from '../strategy/types.js';
import type { PriceStore } from '../portfolio/prices.js';

/** Price read by a level: the latest mark, or the latest OHLCV close. */
export const WAKE_MARK = 1;
export const WAKE_CLOSE = 0;

/** What the engine does with `ctx.sleep`. */
export type SleepMode =
  /** Honour it and replay quiet stretches in bulk (default). */
  | 'skip'
  /** Honour it, stepping through every instant (tests: same results as `skip`). */
  | 'step'
  /** Ignore it: `onBar` at every bar (tests: same results when the promises hold). */
  | 'ignore';

/** The sleep of one run's strategy. */
export class SleepState {
  /** Whether a sleep is in force. */
  active = false;
  /** Wake at the first bar at or after this time. */
  untilMs: UnixMs = Infinity;
  /** Portfolio state version when the sleep began: any change ends it. */
  stateVersion = -1;
  /** Levels: instrument, price kind, bounds (±Infinity when absent). */
  count = 0;
  inst = new Int32Array(4);
  kind = new Uint8Array(4);
  above = new Float64Array(4);
  below = new Float64Array(4);

  constructor(readonly mode: SleepMode) {}

  /**
   * Begin (or replace) a sleep. `instrumentId` checks an instrument and returns its id (throws on
   * one outside the run's universe); `isPerp` tells perps (a `mark` level needs one).
   */
  begin(req: SleepRequest | undefined, stateVersion: number, instrumentId: (ins: WakeLevel['instrument'], what: string) => number, isPerp: (i: number) => boolean): void {
    const levels = req?.wakeIf ?? [];
    if (!Array.isArray(levels)) throw new Error('sleep: wakeIf must be an array of levels');
    const untilMs = req?.untilMs ?? Infinity;
    if (typeof untilMs !== 'number' || Number.isNaN(untilMs)) throw new Error(`sleep: untilMs must be a time in ms (got ${String(untilMs)})`);
    this.reserve(levels.length);
    for (let k = 0; k < levels.length; k++) {
      const lv = levels[k] as WakeLevel;
      const i = instrumentId(lv.instrument, `sleep.wakeIf[${k}].instrument`);
      this.inst[k] = i;
      if (lv.price !== 'mark' && lv.price !== 'close') throw new Error(`sleep.wakeIf[${k}].price must be 'mark' or 'close' (got ${String(lv.price)})`);
      if (lv.price === 'mark' && !isPerp(i)) throw new Error(`sleep.wakeIf[${k}]: price 'mark' needs a perp (${lv.instrument.symbol} is spot)`);
      this.kind[k] = lv.price === 'mark' ? WAKE_MARK : WAKE_CLOSE;
      this.above[k] = bound(lv.above, Infinity, `sleep.wakeIf[${k}].above`);
      this.below[k] = bound(lv.below, -Infinity, `sleep.wakeIf[${k}].below`);
    }
    this.count = levels.length;
    this.untilMs = untilMs;
    this.stateVersion = stateVersion;
    this.active = this.mode !== 'ignore';
  }

  /** End the sleep (another hook ran). */
  end(): void {
    this.active = false;
  }

  /**
   * Whether the strategy still sleeps at `now` (called before an instant's bars are delivered):
   * no portfolio change, before `untilMs`, and no level reached at the current prices.
   */
  asleep(now: UnixMs, stateVersion: number, prices: PriceStore): boolean {
    if (!this.active) return false;
    if (stateVersion !== this.stateVersion || now >= this.untilMs || this.levelReached(prices)) {
      this.active = false;
      return false;
    }
    return true;
  }

  private levelReached(prices: PriceStore): boolean {
    for (let k = 0; k < this.count; k++) {
      const i = this.inst[k]!;
      const px = this.kind[k] === WAKE_MARK ? prices.mark[i]! : prices.close[i]!;
      if (px >= this.above[k]! || px <= this.below[k]!) return true;
    }
    return false;
  }

  private reserve(n: number): void {
    if (n <= this.inst.length) return;
    this.inst = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.above = new Float64Array(n);
    this.below = new Float64Array(n);
  }
}

/** A level bound: a number (NaN and absent mean "no bound": `none`). */
function bound(x: unknown, none: number, what: string): number {
  if (x === undefined) return none;
  if (typeof x !== 'number') throw new Error(`${what} must be a number (got ${typeof x})`);
  return Number.isNaN(x) ? none : x;
}
