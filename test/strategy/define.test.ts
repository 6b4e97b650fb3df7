import { describe, expect, expectTypeOf, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/core/errors.js';
import { boolean, enumOf, integer, number } from '../../src/core/schema.js';
import { defineStrategy, flattenRoles, type ParamsOf } from '../../src/strategy/define.js';
import { StrategyError } from '../../src/strategy/guard.js';
import { checkHooks, STRATEGY_HOOKS } from '../../src/strategy/hooks.js';
import { spotPerp, spotPerpPerAsset } from '../../src/strategy/universe.js';
import type { Instrument, Strategy, StrategyFactory } from '../../src/strategy/types.js';
import { h, runScenario, tempDataDir, writeFlatBars, writeFunding } from '../support/scenario.js';

const THIS_FILE = fileURLToPath(import.meta.url);

/** Two hours of ETH spot and perp on binance, one settlement at h(1). */
function market(): string {
  const dir = tempDataDir('define');
  writeFlatBars(dir, 'binance', 'ETH/USDT', h(0), [2000, 2000, 2000]);
  writeFlatBars(dir, 'binance', 'ETH/USDT:USDT', h(0), [2000, 2000, 2000]);
  writeFunding(dir, 'binance', 'ETH/USDT:USDT', [[h(1), 0.0001, 8, 2000]]);
  return dir;
}

const params = {
  leverage: number({ default: 2, min: 0.1, max: 20, unit: 'x', help: 'perp leverage' }),
  lookback: integer({ default: 3, min: 1, help: 'settlements' }),
  side: enumOf(['short', 'long'], { default: 'short', help: 'perp side' }),
  topUp: boolean({ default: true, help: 'top up' }),
};

describe('defineStrategy', () => {
  it('infers the params type from the schema and the roles from the universe', () => {
    const seen: { p?: ParamsOf<typeof params>; legs?: { spot: Instrument; perp: Instrument } } = {};
    const f = defineStrategy({
      name: 'typed',
      description: 'typed params',
      params,
      universe: (input) => spotPerp('typed', input),
      create(p) {
        expectTypeOf(p.leverage).toEqualTypeOf<number>();
        expectTypeOf(p.side).toEqualTypeOf<'short' | 'long'>();
        expectTypeOf(p.topUp).toEqualTypeOf<boolean>();
        seen.p = p;
        return {
          onStart(ctx, legs) {
            expectTypeOf(legs.spot).toEqualTypeOf<Instrument>();
            seen.legs = legs;
            ctx.setLeverage(legs.perp, p.leverage);
          },
        };
      },
    });
    // It is a plain factory too.
    expectTypeOf(f).toExtend<StrategyFactory>();
    const r = runScenario({ strategy: f, params: { leverage: '3', side: 'long' }, venues: ['binance'], symbol: 'ETH/USDT', dataDir: market(), hours: 2 });
    expect(seen.p).toEqual({ leverage: 3, lookback: 3, side: 'long', topUp: true });
    expect(seen.legs!.spot).toMatchObject({ venue: 'binance', symbol: 'ETH/USDT', type: 'spot' });
    expect(seen.legs!.perp).toMatchObject({ venue: 'binance', symbol: 'ETH/USDT:USDT', type: 'perp' });
    expect(Object.isFrozen(seen.legs)).toBe(true);
    expect(r.market.instruments.map((i) => i.symbol)).toEqual(['ETH/USDT', 'ETH/USDT:USDT']);
  });

  it('flattens nested roles in declaration order', () => {
    const input = { venues: ['binance'], symbol: 'BTC/USDT', symbols: ['BTC/USDT', 'ETH/USDT'], params: {} };
    expect(flattenRoles({ assets: spotPerpPerAsset('x', input), extra: { venue: 'bybit', symbol: 'SOL/USDT:USDT' } })).toEqual([
      { venue: 'binance', symbol: 'BTC/USDT' },
      { venue: 'binance', symbol: 'BTC/USDT:USDT' },
      { venue: 'binance', symbol: 'ETH/USDT' },
      { venue: 'binance', symbol: 'ETH/USDT:USDT' },
      { venue: 'bybit', symbol: 'SOL/USDT:USDT' },
    ]);
  });

  it('a one-asset universe refuses a list of symbols; a per-asset one refuses a repeated asset', () => {
    const f = defineStrategy({ name: 'one', description: '', params: {}, universe: (i) => spotPerp('one', i), create: () => ({}) });
    expect(() => runScenario({ strategy: f, params: {}, venues: ['binance'], symbol: 'ETH/USDT,BTC/USDT', dataDir: market(), hours: 2 })).toThrow(
      'one trades one asset (got 2 symbols: ETH/USDT,BTC/USDT)',
    );
    expect(() => spotPerpPerAsset('rot', { venues: ['binance'], symbol: 'ETH/USDT', symbols: ['ETH/USDT', 'ETH/USDT:USDT'], params: {} })).toThrow('rot: --symbol lists ETH/USDT twice');
  });
});

describe('hooks', () => {
  it('every hook of the Strategy type is known', () => {
    expect([...STRATEGY_HOOKS]).toEqual(['onStart', 'onBar', 'onFunding', 'onFill', 'onLiquidation', 'onAdl', 'onTimer', 'onReject', 'onHedgeBroken', 'onEnd']);
  });

  it('a misspelled hook is an error naming it, the likely hook and the known ones', () => {
    expect(() => checkHooks({ onbar() {} }, 'strategy s')).toThrow(
      new UserError('strategy s: unknown hook "onbar" (did you mean onBar?); the hooks are onStart, onBar, onFunding, onFill, onLiquidation, onAdl, onTimer, onReject, onHedgeBroken, onEnd'),
    );
    class S {
      onStart(): void {}
      onFills(): void {}
    }
    expect(() => checkHooks(new S(), 'strategy s')).toThrow('unknown hook "onFills" (did you mean onFill?)');
    expect(() => checkHooks({ onBar: 5 }, 'strategy s')).toThrow('onBar is a number, not a function');
    // Not a hook: data fields and non-`on` methods.
    expect(() => checkHooks({ onset: 3, online: true, helper() {} }, 'strategy s')).not.toThrow();
  });

  it('a plain factory whose strategy has an unknown hook stops the run before any data is read', () => {
    const f: StrategyFactory = {
      name: 'typo',
      description: '',
      params: {},
      universe: (i) => [{ venue: i.venues[0]!, symbol: 'ETH/USDT' }],
      create: () => ({ onbar() {} }) as Strategy,
    };
    expect(() => runScenario({ strategy: f, params: {}, venues: ['binance'], symbol: 'ETH/USDT', dataDir: '/nonexistent', hours: 2 })).toThrow(/strategy typo: unknown hook "onbar" \(did you mean onBar\?\)/);
  });
});

describe('an exception in strategy code is the strategy’s', () => {
  const thrower = (where: 'onStart' | 'onBar' | 'onFunding' | 'onEnd' | 'create') =>
    defineStrategy({
      name: 'thrower',
      description: '',
      params: {},
      universe: (input) => spotPerp('thrower', input),
      create() {
        if (where === 'create') throw new RangeError('bad create');
        return {
          onStart() {
            if (where === 'onStart') throw new Error('bad start');
          },
          onBar(ctx) {
            if (where === 'onBar' && ctx.now >= h(2)) throw new TypeError('bad bar');
          },
          onFunding() {
            if (where === 'onFunding') throw new Error('bad funding');
          },
          onEnd() {
            if (where === 'onEnd') throw new Error('bad end');
          },
        };
      },
    });
  const run = (where: Parameters<typeof thrower>[0]) => {
    try {
      runScenario({ strategy: thrower(where), params: {}, venues: ['binance'], symbol: 'ETH/USDT', dataDir: market(), hours: 3 });
    } catch (e) {
      return e;
    }
    throw new Error('did not throw');
  };

  it('names the hook, ctx.now, and the file and line in the strategy', () => {
    // runScenario gives no strategyFile: the location is found by the origin test only when known,
    // so check the parts that do not depend on it here, and the file:line through the CLI below.
    const e = run('onBar') as StrategyError;
    expect(e).toBeInstanceOf(StrategyError);
    expect(e).toBeInstanceOf(UserError);
    expect(e.exitCode).toBe(1);
    expect(e.hook).toBe('onBar');
    expect(e.nowMs).toBe(h(2));
    expect(e.message.split('\n')[0]).toBe('strategy thrower threw in onBar at ctx.now = 2025-01-01T02:00:00.000Z: TypeError: bad bar');
    expect((run('onStart') as StrategyError).message.split('\n')[0]).toBe('strategy thrower threw in onStart at ctx.now = 2025-01-01T00:00:00.000Z: Error: bad start');
    expect((run('onFunding') as StrategyError).message.split('\n')[0]).toBe('strategy thrower threw in onFunding at ctx.now = 2025-01-01T01:00:00.000Z: Error: bad funding');
    expect((run('onEnd') as StrategyError).message.split('\n')[0]).toBe('strategy thrower threw in onEnd at ctx.now = 2025-01-01T03:00:00.000Z: Error: bad end');
    expect((run('create') as StrategyError).message.split('\n')[0]).toBe('strategy thrower threw in create(params): RangeError: bad create');
  });

  it('with the strategy file known, the location is the throwing line in it', async () => {
    const { runBacktest } = await import('../../src/engine/backtest.js');
    let err: unknown;
    try {
      runBacktest({ strategy: thrower('onBar'), strategyFile: THIS_FILE, venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: h(0), toMs: h(3), dataDir: market() });
    } catch (e) {
      err = e;
    }
    const e = err as StrategyError;
    expect(e.location).toMatch(new RegExp(`^${THIS_FILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+$`));
    expect(e.message).toContain(`\n  at ${e.location} (strategy code)`);
  });
});
