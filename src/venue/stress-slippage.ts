/**
 * Stress-aware slippage (`stress`): a market order costs more when the market is violent and when
 * the order is large against what trades. For an order of `qty` base units decided after a bar
 * closed (the last closed bar: no look-ahead):
 *
 * ```
 * stress = clamp(range / typicalRange, 1, maxStress) ^ stressExponent
 * impact = impactCoef × typicalRangeBps × √(qty / barVolume)          (square-root law)
 * bps    = min(maxBps, stress × (baseBps + impact))
 * ```
 * - `range` is the last closed bar's log range `ln(high / low)`; `typicalRange` the exponentially
 *   weighted mean of the log ranges of the bars BEFORE it (half-life `halfLifeHours`), so one
 *   violent bar does not dilute its own measure. `typicalRangeBps = typicalRange × 10⁴`.
 * - The square-root law (impact ∝ σ √(Q/V), Y ≈ 1: Tóth et al. 2011, "Anomalous price impact and the
 *   critical nature of liquidity in financial markets", PRX 1, 021006; Almgren et al. 2005) uses the
 *   typical per-bar range as σ and the last closed bar's base volume as V. No volume (NaN or 0):
 *   the impact term is left out (the fixed and stress parts still apply).
 * - Before any bar has been seen (or after a single one) `stress` is 1.
 *
 * State: a {@link StressTracker} per run (`forRun`) keeps one EWMA per instrument in typed arrays;
 * the engine feeds it each closed OHLCV bar (`observeBar`) and asks for bps at a fill. No allocation
 * per call. A liquidity-stress scenario multiplies the result on top (src/scenario).
 */
import { number, object, parse, type Infer } from '../core/schema.js';
import type { BarOHLCV, SlippageInput, SlippageModel } from './slippage.js';

/** Parameter schema of the stress slippage model (run.json `models.slippage.params`). */
export const stressSlippageSchema = object({
  baseBps: number({ default: 1, min: 0, max: 1000, unit: 'bps', help: 'calm-market cost of any market order (half spread + fixed impact)' }),
  impactCoef: number({ default: 1, min: 0, max: 100, unit: 'x', help: 'Y of the square-root law: impact = Y × typical bar range × √(qty / bar volume)' }),
  halfLifeHours: number({ default: 72, min: 0.01, max: 24 * 365, unit: 'h', help: 'half-life of the typical bar range (EWMA of log high/low)' }),
  stressExponent: number({ default: 1, min: 0, max: 4, unit: 'x', help: 'cost scales with (bar range / typical range) to this power' }),
  maxStress: number({ default: 20, min: 1, max: 1000, unit: 'x', help: 'cap on the stress multiplier' }),
  maxBps: number({ default: 500, min: 0, max: 10000, unit: 'bps', help: 'cap on the total slippage' }),
});

/** Parameters of the stress slippage model. */
export type StressSlippageParams = Infer<typeof stressSlippageSchema>;

/** Defaults (the schema's). */
export const DEFAULT_STRESS_SLIPPAGE_PARAMS: StressSlippageParams = parse(stressSlippageSchema, {});

/** Validate (partial) params; a bad one is a SchemaError naming `models.slippage.params.<field>`. */
export function parseStressSlippageParams(raw: unknown, path = 'models.slippage.params'): StressSlippageParams {
  return parse(stressSlippageSchema, raw ?? {}, path);
}

/**
 * The cost in bps of one order (pure; the tracker supplies the market state).
 * @param qty order size, base units (> 0)
 * @param barVolume last closed bar's base volume (NaN or 0: no impact term)
 * @param rangeLog last closed bar's `ln(high / low)` (NaN: unknown, stress 1)
 * @param typicalRangeLog EWMA of the earlier bars' log ranges (NaN or 0: stress 1, no impact term)
 */
export function stressSlippageBps(p: StressSlippageParams, qty: number, barVolume: number, rangeLog: number, typicalRangeLog: number): number {
  const haveTypical = typicalRangeLog > 0;
  let stress = 1;
  if (haveTypical && rangeLog > typicalRangeLog) stress = Math.min(rangeLog / typicalRangeLog, p.maxStress) ** p.stressExponent;
  const impact = haveTypical && barVolume > 0 && qty > 0 ? p.impactCoef * typicalRangeLog * 1e4 * Math.sqrt(qty / barVolume) : 0;
  return Math.min(p.maxBps, stress * (p.baseBps + impact));
}

/**
 * Per-instrument market state of the stress model: the last closed bar's log range and volume, and
 * the EWMA of the log ranges before it. Bars are fed in time order, one per close.
 */
export class StressTracker {
  /** Last closed bar's log range, per instrument (NaN before the first bar). */
  readonly rangeLog: Float64Array;
  /** EWMA of the log ranges of the bars before the last one (NaN until two bars were seen). */
  readonly typicalRangeLog: Float64Array;
  /** Last closed bar's base volume. */
  readonly volume: Float64Array;
  /** Weight of a new bar in the EWMA: 1 − 2^(−timeframe / half-life). */
  readonly alpha: number;

  constructor(instruments: number, timeframeMs: number, halfLifeHours: number) {
    this.rangeLog = new Float64Array(instruments).fill(NaN);
    this.typicalRangeLog = new Float64Array(instruments).fill(NaN);
    this.volume = new Float64Array(instruments).fill(NaN);
    this.alpha = 1 - 2 ** (-timeframeMs / (halfLifeHours * 3_600_000));
  }

  /** A bar of instrument `i` closed: the previous bar's range joins the typical range. */
  observe(i: number, high: number, low: number, volume: number): void {
    const prev = this.rangeLog[i]!;
    if (prev === prev) {
      const t = this.typicalRangeLog[i]!;
      this.typicalRangeLog[i] = t === t ? t + this.alpha * (prev - t) : prev;
    }
    this.rangeLog[i] = high > 0 && low > 0 && high >= low ? Math.log(high / low) : NaN;
    this.volume[i] = volume;
  }
}

/**
 * The stress slippage model as a {@link SlippageModel}: the instance built from params holds no
 * state (bps before any bar = the base cost); `forRun` gives each run its own tracker, fed by
 * `observeBar` with every closed OHLCV bar.
 */
export function stressSlippageModel(raw: unknown = {}, path = 'models.slippage.params'): SlippageModel & { readonly name: 'stress'; readonly params: StressSlippageParams } {
  const params = parseStressSlippageParams(raw, path);
  const withTracker = (t: StressTracker | null): SlippageModel & { readonly name: 'stress'; readonly params: StressSlippageParams } => ({
    name: 'stress',
    params,
    bps: (input: SlippageInput) => (t === null ? Math.min(params.baseBps, params.maxBps) : stressSlippageBps(params, input.qty, t.volume[input.instrument.id]!, t.rangeLog[input.instrument.id]!, t.typicalRangeLog[input.instrument.id]!)),
    forRun: (run) => withTracker(new StressTracker(run.instrumentCount, run.timeframeMs, params.halfLifeHours)),
    ...(t === null ? {} : { observeBar: (i: number, bar: BarOHLCV) => t.observe(i, bar.high, bar.low, bar.volume) }),
  });
  return withTracker(null);
}
