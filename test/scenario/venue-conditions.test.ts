/** Venue shocks as lookups: outages, transfer freezes and delays, liquidity multipliers, ADL schedule. */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.js';
import { VenueConditions } from '../../src/scenario/venue-conditions.js';

const T = (s: string): number => Date.parse(s);
const sc = parseScenario('test.json', {
  name: 'venue-test',
  shocks: [
    { type: 'outage', venue: 'binance', from: '2025-10-10T21:00Z', to: '2025-10-10T22:00Z', orders: 'queue' },
    { type: 'outage', venue: 'binance', from: '2025-10-10T22:00Z', to: '2025-10-10T22:30Z' },
    { type: 'transfer-delay', venues: ['bybit'], from: '2025-10-10T20:00Z', to: '2025-10-11T00:00Z', delayMinutes: 90 },
    { type: 'transfer-delay', from: '2025-10-10T23:00Z', to: '2025-10-11T02:00Z', frozen: true },
    { type: 'liquidity', venues: ['binance'], from: '2025-10-10T21:00Z', to: '2025-10-11T00:00Z', slippageMultiplier: 5 },
    { type: 'liquidity', from: '2025-10-10T21:30Z', to: '2025-10-10T22:00Z', slippageMultiplier: 2 },
    { type: 'adl', venue: 'hyperliquid', at: '2025-10-10T21:20Z' },
    { type: 'adl', venue: 'binance', asset: 'ETH', at: '2025-10-10T21:15Z', share: 0.5 },
  ],
});
const c = new VenueConditions([sc]);

describe('venue conditions', () => {
  it('outages: covering shock, chained end, half-open ranges', () => {
    expect(c.outage('binance', T('2025-10-10T20:59Z'))).toBeNull();
    expect(c.outage('binance', T('2025-10-10T21:00Z'))?.orders).toBe('queue');
    expect(c.outage('binance', T('2025-10-10T22:00Z'))?.orders).toBe('refuse');
    expect(c.outage('binance', T('2025-10-10T22:30Z'))).toBeNull();
    expect(c.upAt('binance', T('2025-10-10T21:10Z'))).toBe(T('2025-10-10T22:30Z'));
    expect(c.upAt('bybit', T('2025-10-10T21:10Z'))).toBe(T('2025-10-10T21:10Z'));
  });
  it('transfers: outage refuses even inside the venue; delays and freezes only between venues', () => {
    expect(c.transfer('binance', 'binance', T('2025-10-10T21:30Z'))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/binance is down until 2025-10-10T22:00/) });
    expect(c.transfer('okx', 'binance', T('2025-10-10T21:30Z')).kind).toBe('refused');
    expect(c.transfer('bybit', 'bybit', T('2025-10-10T20:30Z'))).toEqual({ kind: 'now' });
    expect(c.transfer('bybit', 'okx', T('2025-10-10T20:30Z'))).toMatchObject({ kind: 'delayed', arriveMs: T('2025-10-10T22:00Z') });
    expect(c.transfer('okx', 'bybit', T('2025-10-10T20:30Z'))).toEqual({ kind: 'now' }); // the delay lists bybit as the source only
    expect(c.transfer('okx', 'bybit', T('2025-10-10T23:30Z'))).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/frozen/) });
    expect(c.transfer('okx', 'bybit', T('2025-10-11T02:00Z'))).toEqual({ kind: 'now' });
  });
  it('liquidity multipliers multiply where they overlap', () => {
    expect(c.slippageMultiplier('binance', T('2025-10-10T20:00Z'))).toBe(1);
    expect(c.slippageMultiplier('binance', T('2025-10-10T21:00Z'))).toBe(5);
    expect(c.slippageMultiplier('binance', T('2025-10-10T21:45Z'))).toBe(10);
    expect(c.slippageMultiplier('okx', T('2025-10-10T21:45Z'))).toBe(2);
  });
  it('ADL events come sorted by time; a shock without share leaves the draw to the model', () => {
    expect(c.adl.map((a) => [a.shock.venue, a.shock.share])).toEqual([
      ['binance', 0.5],
      ['hyperliquid', NaN],
    ]);
    expect(c.active).toBe(true);
    expect(new VenueConditions([]).active).toBe(false);
  });
});
