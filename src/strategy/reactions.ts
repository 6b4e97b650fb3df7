/**
 * Reactions a hedged strategy shares.
 */
import type { StrategyContext } from './types.js';

/** Cancel every order of the strategy that has not filled (`ctx.orders`); returns how many. */
export function cancelAll(ctx: StrategyContext): number {
  let n = 0;
  for (const o of ctx.orders.list()) if (ctx.cancel(o.id)) n++;
  return n;
}
