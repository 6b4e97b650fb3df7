/**
 * Tiny strategies shared by golden tests.
 */
import type { StrategyFactory } from '../../src/strategy/types.js';

/** Short-sell `qty` ETH spot (a base loan) at the first bar delivered, hold it to the end. */
export function shortSpot(qty: number): StrategyFactory {
  return {
    name: 'short-spot',
    description: 'test',
    params: {},
    universe: (i) => [{ venue: i.venues[0]!, symbol: 'ETH/USDT' }],
    create: () => {
      let done = false;
      return {
        onBar(ctx, ev) {
          if (done) return;
          done = true;
          ctx.order({ instrument: ev.instrument, side: 'sell', qty, tag: 'borrow' });
        },
      };
    },
  };
}
