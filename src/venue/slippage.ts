/**
 * Slippage models: how far a market order fills from its reference price (the next bar's open, or
 * the current close). The cost is charged as a separate `slippage` ledger flow so that PnL
 * attribution can show it; the fill price reported in trades.csv includes it.
 *
 * A model gets one {@link SlippageInput} per order: the instrument, side, qty, reference price,
 * the instrument's last closed bar (OHLCV) and the time — what a depth- or volatility-aware model
 * needs, so such a model is one new file implementing {@link SlippageModel}. A model that keeps
 * market state (e.g. a volatility estimate) implements `forRun` (a fresh instance per run) and
 * `observeBar` (called for every closed OHLCV bar, in time order).
 */
import { number, object, parse, type Infer } from '../core/schema.js';
import { UserError } from '../core/errors.js';
import type { Instrument } from './instrument.js';
import { stressSlippageModel } from './stress-slippage.js';

/** A bar's prices and base volume (NaN when unknown). */
export interface BarOHLCV {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** One order, as a slippage model sees it. Reused by the engine: do not retain. */
export interface SlippageInput {
  instrument: Instrument;
  side: 'buy' | 'sell';
  /** Order size, base units (> 0). */
  qty: number;
  /** Reference price (next open or latest close), quote per base. */
  refPrice: number;
  /** The instrument's last closed bar (all NaN before its first bar). */
  bar: BarOHLCV;
  /** Fill time, UnixMs. */
  ts: number;
}

/** A named slippage model. */
export interface SlippageModel {
  readonly name: string;
  readonly params: unknown;
  /** Slippage of one order, bps of the reference price (≥ 0). */
  bps(input: SlippageInput): number;
  /** A fresh instance for one run (models with market state); stateless models leave it out. */
  forRun?(run: { instrumentCount: number; timeframeMs: number }): SlippageModel;
  /** A closed OHLCV bar of instrument `instrumentId` (models with market state). */
  observeBar?(instrumentId: number, bar: BarOHLCV): void;
}

/** Schema of the `fixed` and `volume` models' params (run.json `models.slippage.params`). */
export const slippageParamsSchema = object({
  bps: number({ default: 1, min: 0, max: 10_000, unit: 'bps', help: 'fixed part, bps of the reference price' }),
  impactBpsPerPctVolume: number({ default: 10, min: 0, max: 10_000, unit: 'bps', help: '`volume` model: extra bps per 1 % of the last closed bar\'s base volume taken by the order' }),
  maxBps: number({ default: 500, min: 0, max: 10_000, unit: 'bps', help: 'cap on the total slippage' }),
});

/** Parameters of the `fixed` and `volume` models. */
export type SlippageModelParams = Infer<typeof slippageParamsSchema>;

export const DEFAULT_SLIPPAGE_PARAMS: SlippageModelParams = parse(slippageParamsSchema, {});

/** `fixed`: a constant bps (capped at maxBps). */
export function fixedSlippage(p: SlippageModelParams): SlippageModel {
  const bps = Math.min(p.bps, p.maxBps);
  return { name: 'fixed', params: p, bps: () => bps };
}

/** `volume`: the fixed part plus impact proportional to the share of the last closed bar's volume taken. */
export function volumeSlippage(p: SlippageModelParams): SlippageModel {
  return {
    name: 'volume',
    params: p,
    bps(input) {
      const v = input.bar.volume;
      const share = v > 0 ? (100 * input.qty) / v : 0;
      return Math.min(p.bps + p.impactBpsPerPctVolume * share, p.maxBps);
    },
  };
}

/**
 * Build a slippage model by name: `fixed` (default), `volume` or `stress` (src/venue/stress-slippage.ts);
 * params validated (SchemaError naming the path).
 */
export function slippageModel(name: string, params: unknown = {}, path = 'models.slippage.params'): SlippageModel {
  if (name === 'stress') return stressSlippageModel(params, path);
  if (name !== 'fixed' && name !== 'volume') throw new UserError(`unknown slippage model "${name}" (available: fixed, volume, stress)`);
  const p = parse(slippageParamsSchema, params, path);
  return name === 'fixed' ? fixedSlippage(p) : volumeSlippage(p);
}
