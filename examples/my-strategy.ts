// A strategy of your own: hold long spot / short perp (equal qty) while the trailing funding APR is
// above `minApr`, flat otherwise. Run it with:
//   npx perpcarry backtest --strategy ./examples/my-strategy.ts --venue binance --symbol ETH/USDT --window 2025-02-03
import type { Instrument, StrategyFactory } from '../src/strategy/types.js';

const factory: StrategyFactory = {
  name: 'my-carry',
  description: 'Long spot / short perp while trailing funding APR > minApr',
  params: {
    minApr: { type: 'number', default: 0.05, unit: 'decimal APR', help: 'Hold the hedge above this trailing APR' },
    lookback: { type: 'integer', default: 3, min: 1, help: 'Settlements in the trailing mean' },
  },
  universe: ({ venues, symbol }) => [
    { venue: venues[0]!, symbol },
    { venue: venues[0]!, symbol: `${symbol}:${symbol.split('/')[1]}` },
  ],
  create(params) {
    let spot: Instrument, perp: Instrument;
    return {
      onStart(ctx) {
        spot = ctx.market.instruments().find((i) => i.type === 'spot')!;
        perp = ctx.market.instruments().find((i) => i.type === 'perp')!;
        const margin = ctx.portfolio.equity() / 3; // 2x perp leverage: spot 2/3, perp margin 1/3
        ctx.transfer({ fromVenue: perp.venue, fromAccount: 'spot', toVenue: perp.venue, toAccount: 'perp', amount: margin });
      },
      onBar(ctx, bar) {
        if (bar.instrument.id !== perp.id) return; // decide once per perp bar
        const apr = ctx.market.trailingFundingApr(perp, Number(params.lookback));
        const held = -ctx.portfolio.position(perp);
        if (held === 0 && apr > Number(params.minApr)) ctx.hedge({ long: spot, short: perp, notional: ctx.portfolio.equity() * 0.66 });
        else if (held > 0 && !(apr > Number(params.minApr))) ctx.hedge({ long: perp, short: spot, qty: held });
      },
    };
  },
};
export default factory;
