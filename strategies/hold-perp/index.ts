/**
 * `hold-perp`: the directional baseline. Move the capital into the perp account, open one long or
 * short perp position of notional = capital × leverage × 0.99 (1 % kept for fees) at the first
 * bar, and hold it to the end (unless liquidated). Funding is paid or received along the way.
 */
import { perpOf } from '../../src/core/ids.js';
import { enumOf, number } from '../../src/core/schema.js';
import { defineStrategy, type DefinedStrategy, type ParamsOf } from '../../src/strategy/define.js';
import { singleSymbol, singleVenue } from '../../src/strategy/universe.js';
import type { Instrument, StrategyContext } from '../../src/strategy/types.js';

/** The param schema. */
export const holdPerpParams = {
  side: enumOf(['long', 'short'], { default: 'long', help: 'position direction' }),
  leverage: number({ default: 1, min: 0.1, max: 50, unit: '×', help: 'notional = capital × leverage (× 0.99 for fees)' }),
};

export type HoldPerpParams = ParamsOf<typeof holdPerpParams>;

export class HoldPerp implements DefinedStrategy<{ readonly perp: Instrument }> {
  constructor(private readonly p: HoldPerpParams) {}

  onStart(ctx: StrategyContext, { perp }: { readonly perp: Instrument }): void {
    ctx.setLeverage(perp, this.p.leverage);
    const cash = ctx.portfolio.spotCash(perp.venue);
    ctx.transfer({ fromVenue: perp.venue, fromAccount: 'spot', toVenue: perp.venue, toAccount: 'perp', amount: cash });
    ctx.order({ instrument: perp, side: this.p.side === 'long' ? 'buy' : 'sell', notional: cash * this.p.leverage * 0.99, tag: 'open' });
  }
}

export default defineStrategy({
  name: 'hold-perp',
  description: 'Directional baseline: hold one long or short perp position from start to end.',
  params: holdPerpParams,
  universe: (input) => ({ perp: { venue: singleVenue('hold-perp', input), symbol: perpOf(singleSymbol('hold-perp', input)) } }),
  create: (p) => new HoldPerp(p),
});
