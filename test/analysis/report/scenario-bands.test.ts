/** Which scenario shocks a run's charts mark, from run.json `scenarios`, clipped to the window. */
import { describe, expect, it } from 'vitest';
import { scenarioBands, shiftBands } from '../../../src/analysis/report/scenario-bands.js';
import type { RunData } from '../../../src/analysis/report/run-dir.js';

const T = (iso: string): number => Date.parse(iso);
const run = (scenarios: unknown): RunData =>
  ({ dir: '/runs/x', run: { runId: 'x', fromMs: T('2025-02-02T00:00Z'), toMs: T('2025-02-05T00:00Z'), data: [], formatVersion: 1, scenarios } }) as unknown as RunData;

const doc = {
  name: 'two-shocks',
  shocks: [
    // Starts before the window: clipped to its start.
    { type: 'basis', venue: 'binance', asset: 'ETH', from: '2025-02-01T20:00Z', to: '2025-02-03T06:00Z', basisPct: -5.8 },
    { type: 'price-gap', asset: 'ETH', at: '2025-02-03T02:00Z', pct: -10 },
    // Wholly after the window: left out.
    { type: 'outage', venue: 'binance', from: '2025-02-06T00:00Z', to: '2025-02-07T00:00Z' },
  ],
};

describe('scenarioBands', () => {
  it('one band per shock inside the window, clipped, instants as from = to, named with the scenario', () => {
    const b = scenarioBands(run([{ name: 'two-shocks', source: 'x.json', doc }]));
    expect(b.map((x) => [x.fromMs, x.toMs])).toEqual([
      [T('2025-02-02T00:00Z'), T('2025-02-03T06:00Z')],
      [T('2025-02-03T02:00Z'), T('2025-02-03T02:00Z')],
    ]);
    expect(b[1]!.label).toBe('two-shocks: price gap ETH -10 % at 2025-02-03T02:00Z on every venue');
    expect(b[0]!.color).not.toBe(b[1]!.color);
  });

  it('no scenarios, no bands; on an elapsed axis they move by the run start', () => {
    expect(scenarioBands(run(undefined))).toEqual([]);
    const b = shiftBands(scenarioBands(run([{ name: 'two-shocks', source: 'x.json', doc }])), T('2025-02-02T00:00Z'));
    expect(b.map((x) => [x.fromMs, x.toMs])).toEqual([[0, 30 * 3_600_000], [26 * 3_600_000, 26 * 3_600_000]]);
  });

  it('a recorded scenario that does not parse is an error naming run.json', () => {
    expect(() => scenarioBands(run([{ name: 'bad', source: 'bad.json', doc: { name: 'bad', shocks: [{ type: 'basis' }] } }]))).toThrow(/run\.json scenarios\[0\]/);
    expect(() => scenarioBands(run('nope'))).toThrow(/"scenarios" must be an array/);
  });
});
