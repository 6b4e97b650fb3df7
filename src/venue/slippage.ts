/**
 * Slippage models: how far a market order fills from its reference price (the next bar's open, or
 * the current close). The cost is charged as a separate `slippage` ledger flow so that PnL
 * attribution can show it; the fill price reported in trades.csv includes it.
 */

/** Parameters of the slippage models. */
export interface SlippageModelParams {
  /** Fixed part, basis points of the reference price (both models). Default 1 bp. */
  bps: number;
  /**
   * Volume-proportional part (model `volume`): extra bps per 1 % of the last closed bar's base
   * volume taken by the order. Default 10 (taking 1 % of a bar's volume costs 10 bp more).
   */
  impactBpsPerPctVolume: number;
  /** Cap on the total slippage, bps. Default 500. */
  maxBps: number;
}

/** A named slippage model. */
export interface SlippageModel {
  readonly name: 'fixed' | 'volume';
  readonly params: SlippageModelParams;
  /**
   * Slippage in bps for an order of `qty` base units when the last closed bar traded `barVolume`
   * base units (NaN if unknown: the fixed part only applies).
   */
  bps(qty: number, barVolume: number): number;
}

export const DEFAULT_SLIPPAGE_PARAMS: SlippageModelParams = { bps: 1, impactBpsPerPctVolume: 10, maxBps: 500 };

/** Build a slippage model by name: `fixed` (default) or `volume`. */
export function slippageModel(name: string, params: Partial<SlippageModelParams> = {}): SlippageModel {
  const p: SlippageModelParams = { ...DEFAULT_SLIPPAGE_PARAMS, ...params };
  for (const k of Object.keys(p)) {
    if (!(k in DEFAULT_SLIPPAGE_PARAMS)) throw new Error(`slippage model: unknown param "${k}" (known: ${Object.keys(DEFAULT_SLIPPAGE_PARAMS).join(', ')})`);
    const x = p[k as keyof SlippageModelParams] as unknown;
    if (typeof x !== 'number' || !(x >= 0) || x === Infinity) throw new Error(`slippage model: param "${k}" must be a number ≥ 0 (got ${String(x)})`);
  }
  if (name === 'fixed') return { name: 'fixed', params: p, bps: () => Math.min(p.bps, p.maxBps) };
  if (name === 'volume') {
    return {
      name: 'volume',
      params: p,
      bps(qty, barVolume) {
        const share = barVolume > 0 ? (100 * qty) / barVolume : 0;
        return Math.min(p.bps + p.impactBpsPerPctVolume * share, p.maxBps);
      },
    };
  }
  throw new Error(`unknown slippage model "${name}" (expected fixed or volume)`);
}
