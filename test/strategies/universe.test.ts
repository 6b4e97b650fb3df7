import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import deltaNeutral from '../../strategies/delta-neutral/index.js';
import holdPerp from '../../strategies/hold-perp/index.js';
import fundingThreshold from '../../strategies/funding-threshold/index.js';
import reverseCarry from '../../strategies/reverse-carry/index.js';

describe('single-venue strategies', () => {
  it('trade the spot and perp of --symbol on the one --venue', () => {
    for (const f of [deltaNeutral, fundingThreshold, reverseCarry]) {
      expect(f.universe({ venues: ['binance'], symbol: 'ETH/USDT', symbols: ['ETH/USDT'], params: {} })).toEqual([
        { venue: 'binance', symbol: 'ETH/USDT' },
        { venue: 'binance', symbol: 'ETH/USDT:USDT' },
      ]);
    }
    expect(holdPerp.universe({ venues: ['bybit'], symbol: 'BTC/USDT', symbols: ['BTC/USDT'], params: {} })).toEqual([{ venue: 'bybit', symbol: 'BTC/USDT:USDT' }]);
  });

  it('refuse several venues with an error naming the strategy and the venues', () => {
    for (const f of [deltaNeutral, holdPerp, fundingThreshold, reverseCarry]) {
      const call = () => f.universe({ venues: ['binance', 'bybit'], symbol: 'ETH/USDT', symbols: ['ETH/USDT'], params: {} });
      expect(call).toThrow(UserError);
      expect(call).toThrow(`${f.name} trades exactly one venue (got 2: binance,bybit)`);
    }
  });
});
