/**
 * `hold-perp`: the directional baseline. Move the capital into the perp account, open one long or
 * short perp position of notional = capital × leverage × 0.99 (1 % kept for fees) at the first
 * bar, and hold it to the end (unless liquidated). Funding is paid or received along the way.
 */
import { perpOf } from '../../src/core/ids.js';
import { singleVenue } from '../../src/strategy/universe.js';
import type { Instrument, ParamValues, Strategy, StrategyContext, StrategyFactory } from '../../src/strategy/types.js';

export interface HoldPerpParams {
  side: 'long' | 'short';
  leverage: number;
}

export class HoldPerp implements Strategy {
  private perp!: Instrument;
  constructor(private readonly p: HoldPerpParams) {}

  onStart(ctx: StrategyContext): void {
    const perp = ctx.market.instruments().find((i) => i.type === 'perp');
    if (!perp) throw new Error('hold-perp needs a perp in the universe');
    this.perp = perp;
    ctx.setLeverage(perp, this.p.leverage);
    const cash = ctx.portfolio.spotCash(perp.venue);
    ctx.transfer({ fromVenue: perp.venue, fromAccount: 'spot', toVenue: perp.venue, toAccount: 'perp', amount: cash });
    ctx.order({ instrument: perp, side: this.p.side === 'long' ? 'buy' : 'sell', notional: cash * this.p.leverage * 0.99, tag: 'open' });
  }
}

const factory: StrategyFactory = {
  name: 'hold-perp',
  description: 'Directional baseline: hold one long or short perp position from start to end.',
  params: {
    side: { type: 'enum', default: 'long', values: ['long', 'short'], help: 'position direction' },
    leverage: { type: 'number', default: 1, min: 0.1, max: 50, unit: '×', help: 'notional = capital × leverage (× 0.99 for fees)' },
  },
  universe(input) {
    return [{ venue: singleVenue('hold-perp', input), symbol: perpOf(input.symbol) }];
  },
  create(params: ParamValues) {
    return new HoldPerp(params as unknown as HoldPerpParams);
  },
};

export default factory;
