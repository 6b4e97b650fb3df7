// A strategy of your own: hold long spot / short perp (equal qty) while the trailing funding APR is
// above `minApr`, flat otherwise. Run it with:
//   npx perpcarry backtest --strategy ./examples/my-strategy.ts --venue binance --symbol ETH/USDT --window 2025-02-03
import { defineStrategy, integer, number, spotPerp, type Instrument } from 'perpcarry';

export default defineStrategy({
  name: 'my-carry',
  description: 'Long spot / short perp while trailing funding APR > minApr',
  params: {
    minApr: number({ default: 0.05, unit: 'decimal APR', help: 'Hold the hedge above this trailing APR' }),
    lookback: integer({ default: 3, min: 1, help: 'Settlements in the trailing mean' }),
  },
  // Roles: the spot market and the linear perp of --symbol on --venue; onStart gets them resolved.
  universe: (input) => spotPerp('my-carry', input),
  create(p) {
    let spot: Instrument, perp: Instrument;
    return {
      onStart(ctx, legs) {
        ({ spot, perp } = legs);
        const margin = ctx.portfolio.equity() / 3; // 2x perp leverage: spot 2/3, perp margin 1/3
        ctx.transfer({ fromVenue: perp.venue, fromAccount: 'spot', toVenue: perp.venue, toAccount: 'perp', amount: margin });
      },
      onBar(ctx, bar) {
        if (bar.instrument.id !== perp.id) return; // decide once per perp bar
        const apr = ctx.market.trailingFundingApr(perp, p.lookback);
        const held = -ctx.portfolio.position(perp);
        if (held === 0 && apr > p.minApr) ctx.hedge({ long: spot, short: perp, notional: ctx.portfolio.equity() * 0.66 });
        else if (held > 0 && !(apr > p.minApr)) ctx.hedge({ long: perp, short: spot, qty: held });
      },
    };
  },
});
