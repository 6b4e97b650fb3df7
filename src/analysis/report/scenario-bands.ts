/**
 * The stress-scenario shocks a run was replayed under (run.json `scenarios`), as time ranges to
 * mark on every time-axis chart: a shaded band over `[from, to)`, a vertical line for an instant
 * shock (price gap, forced ADL), each named in the chart's legend (docs/scenarios.md).
 */
import { DataError } from '../../core/errors.js';
import { describeShock } from '../../scenario/describe.js';
import { parseScenario } from '../../scenario/parse.js';
import { shockRange } from '../../scenario/types.js';
import type { RunData } from './run-dir.js';

/** One shock marked on a chart. */
export interface ShockBand {
  /** Start, UnixMs (or ms since the run's start on an elapsed axis). */
  fromMs: number;
  /** End, same axis; equal to `fromMs` for an instant shock. */
  toMs: number;
  /** `<scenario>: <shock description>`, e.g. `oct-2025-adl: slippage × 10 on binance, …`. */
  label: string;
  /** CSS colour of the band's ribbon and line (the shading is the same colour, translucent). */
  color: string;
}

/** Band colours: distinct from the series palette so a band never reads as a line. */
export const BAND_COLORS = ['#7B3294', '#1B7837', '#B35806', '#2166AC', '#8C510A', '#C51B7D', '#4D4D4D'];

/**
 * The shocks of every scenario recorded in `run`'s run.json, clipped to the run window, in file
 * order; shocks wholly outside the window are left out. A recorded scenario that no longer
 * parses is an error naming run.json.
 */
export function scenarioBands(run: RunData): ShockBand[] {
  const recorded = run.run['scenarios'];
  if (recorded === undefined) return [];
  if (!Array.isArray(recorded)) throw new DataError(`${run.dir}/run.json`, '"scenarios" must be an array of {name, source, doc}');
  const out: ShockBand[] = [];
  recorded.forEach((sc: unknown, i) => {
    const rec = sc as { source?: unknown; doc?: unknown } | null;
    const where = `${run.dir}/run.json scenarios[${i}]`;
    const scenario = parseScenario(typeof rec?.source === 'string' ? `${where} (${rec.source})` : where, rec?.doc);
    for (const shock of scenario.shocks) {
      const r = shockRange(shock);
      const fromMs = Math.max(r.fromMs, run.run.fromMs);
      const toMs = Math.min(r.toMs, run.run.toMs);
      if (toMs < fromMs || (r.toMs > r.fromMs && toMs === fromMs)) continue;
      out.push({ fromMs, toMs, label: `${scenario.name}: ${describeShock(shock)}`, color: BAND_COLORS[out.length % BAND_COLORS.length]! });
    }
  });
  return out;
}

/** The bands moved `offsetMs` earlier (a run on an elapsed axis). */
export function shiftBands(bands: readonly ShockBand[], offsetMs: number): ShockBand[] {
  return bands.map((b) => ({ ...b, fromMs: b.fromMs - offsetMs, toMs: b.toMs - offsetMs }));
}
