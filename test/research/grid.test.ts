import { describe, expect, it } from 'vitest';
import { expandGrid, parseGridArg, randomAxes, sampleRandom } from '../../src/research/grid.js';
import type { ParamSchema } from '../../src/strategy/types.js';

const schema: ParamSchema = {
  leverage: { type: 'number', default: 2, min: 0.5, max: 10, help: 'x' },
  lookback: { type: 'integer', default: 9, min: 1, max: 30, help: 'n' },
  topUp: { type: 'boolean', default: true, help: 'b' },
  mode: { type: 'enum', default: 'cross', values: ['cross', 'isolated'], help: 'm' },
  free: { type: 'number', default: 0, help: 'unbounded' },
};

describe('grid axes', () => {
  it('lists and ranges parse against the schema (ranges inclusive, without binary noise)', () => {
    expect(parseGridArg('leverage=1,2,3', schema)).toEqual({ name: 'leverage', values: [1, 2, 3] });
    expect(parseGridArg('leverage=0.5:1.1:0.2', schema).values).toEqual([0.5, 0.7, 0.9, 1.1]);
    expect(parseGridArg('leverage=0.1:0.3:0.1', { leverage: { type: 'number', default: 1, help: '' } }).values).toEqual([0.1, 0.2, 0.3]);
    expect(parseGridArg('lookback=3:9:3', schema).values).toEqual([3, 6, 9]);
    expect(parseGridArg('topUp=true,false', schema).values).toEqual([true, false]);
    expect(parseGridArg('mode=isolated,cross', schema).values).toEqual(['isolated', 'cross']);
  });

  it('bad axes name the option and the param', () => {
    expect(() => parseGridArg('levrage=1,2', schema)).toThrow(/--grid levrage=1,2: unknown param "levrage"/);
    expect(() => parseGridArg('leverage=1,20', schema)).toThrow(/leverage" = 20 is above its maximum 10/);
    expect(() => parseGridArg('lookback=1.5,2', schema)).toThrow(/integer; 1.5 is not/);
    expect(() => parseGridArg('leverage=1:3:0', schema)).toThrow(/step must be positive/);
    expect(() => parseGridArg('leverage=3:1:1', schema)).toThrow(/from 3 is above to 1/);
    expect(() => parseGridArg('mode=portfolio', schema)).toThrow(/not one of cross, isolated/);
    expect(() => parseGridArg('leverage=abc', schema)).toThrow(/"abc" is not a number/);
    expect(() => parseGridArg('leverage', schema)).toThrow(/expected name=/);
  });

  it('expands to the cartesian product, last axis fastest, and refuses a param twice', () => {
    const pts = expandGrid([parseGridArg('leverage=1,2', schema), parseGridArg('lookback=3,6,9', schema)]);
    expect(pts).toEqual([
      { leverage: 1, lookback: 3 }, { leverage: 1, lookback: 6 }, { leverage: 1, lookback: 9 },
      { leverage: 2, lookback: 3 }, { leverage: 2, lookback: 6 }, { leverage: 2, lookback: 9 },
    ]);
    expect(expandGrid([])).toEqual([{}]);
    expect(() => expandGrid([parseGridArg('leverage=1', schema), parseGridArg('leverage=2', schema)])).toThrow(/given twice/);
  });
});

describe('random sampling', () => {
  it('is deterministic by seed, stays within bounds (integers integral), and differs across seeds', () => {
    const axes = randomAxes(schema, undefined, { leverage: { min: 1, max: 3 } });
    expect(axes.map((a) => a.name)).toEqual(['leverage', 'lookback']);
    const a = sampleRandom(axes, schema, 200, 7);
    const b = sampleRandom(axes, schema, 200, 7);
    expect(a).toEqual(b);
    expect(sampleRandom(axes, schema, 200, 8)).not.toEqual(a);
    for (const p of a) {
      expect(p['leverage']).toBeGreaterThanOrEqual(1);
      expect(p['leverage']).toBeLessThanOrEqual(3);
      expect(Number.isInteger(p['lookback'])).toBe(true);
      expect(p['lookback']).toBeGreaterThanOrEqual(1);
      expect(p['lookback']).toBeLessThanOrEqual(30);
    }
    // Every integer of a small range is reached.
    const small = sampleRandom(randomAxes(schema, ['lookback'], { lookback: { min: 2, max: 4 } }), schema, 100, 1);
    expect(new Set(small.map((p) => p['lookback']))).toEqual(new Set([2, 3, 4]));
  });

  it('enums and booleans draw from their values; an unbounded number needs a range', () => {
    const pts = sampleRandom(randomAxes(schema, ['mode', 'topUp']), schema, 50, 3);
    expect(new Set(pts.map((p) => p['mode']))).toEqual(new Set(['cross', 'isolated']));
    expect(new Set(pts.map((p) => p['topUp']))).toEqual(new Set([true, false]));
    expect(() => randomAxes(schema, ['free'])).toThrow(/"free" has no min/);
    expect(() => randomAxes(schema, undefined, { leverage: { min: 0.1, max: 2 } })).toThrow(/below its minimum 0.5/);
    expect(() => sampleRandom([], schema, 0, 1)).toThrow(/integer in 1/);
  });
});
