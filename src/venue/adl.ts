/**
 * Auto-deleveraging (ADL): when a liquidation cannot be closed in the market and the insurance fund
 * or backstop cannot absorb it, the venue closes profitable positions on the other side. A backtest
 * sees one account, not the venue's whole queue, so the model has three parts:
 *  1. **Rank** each of the account's profitable perp positions with the venue's published score
 *     (below). The highest score is deleveraged first.
 *  2. **Light**: map the score to Binance-style 1–5 queue lights with `lightThresholds` (the score at
 *     which each light from 2 to 5 starts; an assumption about where the rest of the venue's users
 *     sit, shown in the report).
 *  3. **Draw**: at an ADL event, each ranked position is hit with probability `hitProbability[light−1]`
 *     and closes a share drawn uniformly in `[minShare, maxShare]` — all from the run's seeded RNG —
 *     unless a scenario gives the share. Price: the mark (Hyperliquid: "the previous mark price") or the
 *     bar's adverse extreme as a stand-in for the counter-side's bankruptcy price (Binance). No fee.
 *
 * Scores, by venue rule:
 *  - Binance ("What Is Auto-Deleveraging (ADL) and How Does It Work", Binance FAQ 360033525471,
 *    formula at the end of the page): `pnlPercent = max(0, unrealizedPnl) / max(1, walletBalance)`;
 *    `marginRatio = maintenanceMargin / (walletBalance + unrealizedPnl)` (0 if that is ≤ 0);
 *    `leveragePnl = pnlPercent × marginRatio`. The API reports its quantile as 0–4 (`/fapi/v1/adlQuantile`),
 *    the UI as 1–5 lights.
 *  - Hyperliquid (docs, Trading › Auto-deleveraging): sorting index
 *    `(mark_price / entry_price) × (notional_position / account_value)` — written for longs; for a
 *    short in profit the ratio in its favour is `entry_price / mark_price`, used here.
 * Other venues rank with the Binance score unless their profile says otherwise.
 */

/** One perp position as the ADL ranking sees it (quote units; qty signed, base units). */
export interface AdlPositionInput {
  readonly instrumentId: number;
  readonly qty: number;
  readonly entryPrice: number;
  readonly markPrice: number;
  /** Unrealized PnL of this position at the mark. */
  readonly unrealizedPnl: number;
  /** Wallet balance of the margin account holding it (cross: the account; isolated: its margin). */
  readonly walletBalance: number;
  /** Maintenance margin of the account (cross) or position (isolated). */
  readonly maintenanceMargin: number;
  /** Account value (wallet + unrealized PnL of the account). */
  readonly accountValue: number;
}

/** Which published score to use. */
export type AdlRanking = 'binance-leverage-pnl' | 'hyperliquid-index';

/** Parameters of the {@link queueAdlModel}. */
export interface AdlModelParams {
  readonly ranking: AdlRanking;
  /** Scores at which lights 2, 3, 4, 5 start (ascending). */
  readonly lightThresholds: readonly [number, number, number, number];
  /** Probability that an ADL event hits a position with light 1 … 5. */
  readonly hitProbability: readonly [number, number, number, number, number];
  /** Share of the position closed when hit: uniform in [minShare, maxShare]. */
  readonly minShare: number;
  readonly maxShare: number;
  /** Close at the mark, or at the bar's adverse extreme (a counter-side bankruptcy price stand-in). */
  readonly price: 'mark' | 'adverse-extreme';
}

/** Defaults: Binance score; lights at leverage-PnL 0.05 / 0.15 / 0.4 / 1 (assumed, not published). */
export const DEFAULT_ADL_PARAMS: AdlModelParams = {
  ranking: 'binance-leverage-pnl',
  lightThresholds: [0.05, 0.15, 0.4, 1],
  hitProbability: [0.05, 0.15, 0.35, 0.65, 0.9],
  minShare: 0.25,
  maxShare: 1,
  price: 'mark',
};

/** Binance leverage-PnL score (0 when not in profit). */
export function binanceLeveragePnl(p: AdlPositionInput): number {
  const pnlPercent = Math.max(0, p.unrealizedPnl) / Math.max(1, p.walletBalance);
  const marginBalance = p.walletBalance + p.unrealizedPnl;
  const marginRatio = marginBalance > 0 ? p.maintenanceMargin / marginBalance : 0;
  return pnlPercent * marginRatio;
}

/** Hyperliquid sorting index (0 when not in profit or the account value is not positive). */
export function hyperliquidAdlIndex(p: AdlPositionInput): number {
  if (!(p.unrealizedPnl > 0) || !(p.accountValue > 0) || p.qty === 0) return 0;
  const priceRatio = p.qty > 0 ? p.markPrice / p.entryPrice : p.entryPrice / p.markPrice;
  return priceRatio * ((Math.abs(p.qty) * p.markPrice) / p.accountValue);
}

/** A ranked position. */
export interface AdlRank {
  readonly instrumentId: number;
  readonly score: number;
  /** 1 (last in the queue) … 5 (first). */
  readonly light: number;
}

/** Light 1–5 of a score. */
export function adlLight(score: number, thresholds: readonly number[]): number {
  let light = 1;
  for (const t of thresholds) if (score >= t) light++;
  return light;
}

/** A named ADL model. */
export interface AdlModel {
  readonly name: 'queue';
  readonly params: AdlModelParams;
  /** The account's profitable positions, highest score first (ties: instrument order). */
  rank(positions: readonly AdlPositionInput[]): AdlRank[];
  /**
   * Share of a ranked position closed by an ADL event (0 = not hit), drawing from `rng`
   * (always two draws, so later draws do not depend on this one's outcome).
   */
  drawShare(rank: AdlRank, rng: () => number): number;
}

/** Check params; returns the first problem or null. */
export function checkAdlParams(p: AdlModelParams): string | null {
  if (p.ranking !== 'binance-leverage-pnl' && p.ranking !== 'hyperliquid-index') return `ranking must be binance-leverage-pnl or hyperliquid-index (got ${String(p.ranking)})`;
  if (p.lightThresholds.length !== 4 || p.lightThresholds.some((x, i) => !(x >= 0) || (i > 0 && x < p.lightThresholds[i - 1]!))) return 'lightThresholds must be 4 ascending numbers ≥ 0';
  if (p.hitProbability.length !== 5 || p.hitProbability.some((x) => !(x >= 0 && x <= 1))) return 'hitProbability must be 5 numbers in [0, 1]';
  if (!(p.minShare > 0 && p.minShare <= p.maxShare && p.maxShare <= 1)) return 'shares must satisfy 0 < minShare ≤ maxShare ≤ 1';
  if (p.price !== 'mark' && p.price !== 'adverse-extreme') return `price must be mark or adverse-extreme (got ${String(p.price)})`;
  return null;
}

/** The queue ADL model (see the file comment). */
export function queueAdlModel(params: Partial<AdlModelParams> = {}): AdlModel {
  const p: AdlModelParams = { ...DEFAULT_ADL_PARAMS, ...params };
  const problem = checkAdlParams(p);
  if (problem) throw new Error(`adl model: ${problem}`);
  const score = p.ranking === 'binance-leverage-pnl' ? binanceLeveragePnl : hyperliquidAdlIndex;
  return {
    name: 'queue',
    params: p,
    rank(positions) {
      return positions
        .filter((x) => x.qty !== 0 && x.unrealizedPnl > 0)
        .map((x) => {
          const s = score(x);
          return { instrumentId: x.instrumentId, score: s, light: adlLight(s, p.lightThresholds) };
        })
        .sort((a, b) => b.score - a.score || a.instrumentId - b.instrumentId);
    },
    drawShare(rank, rng) {
      const hit = rng();
      const u = rng();
      if (hit >= p.hitProbability[rank.light - 1]!) return 0;
      return p.minShare + (p.maxShare - p.minShare) * u;
    },
  };
}

/** Venue presets: Hyperliquid ranks by its sorting index and closes at the mark; the others use Binance's score and the bankruptcy-price stand-in. */
export function venueAdlParams(venue: string, overrides: Partial<AdlModelParams> = {}): AdlModelParams {
  const preset: Partial<AdlModelParams> = venue === 'hyperliquid' ? { ranking: 'hyperliquid-index', price: 'mark' } : { ranking: 'binance-leverage-pnl', price: 'adverse-extreme' };
  return { ...DEFAULT_ADL_PARAMS, ...preset, ...overrides };
}

/**
 * Trigger: a perp liquidated on a bar whose range does not reach its liquidation price (a long's
 * liquidation price above the bar's high, a short's below its low: the market gapped through it),
 * so the venue could not close it inside the bar and its loss goes past bankruptcy — the
 * condition under which venues auto-deleverage the other side.
 * @param qty the liquidated position's signed qty
 */
export function liquidationNeedsAdl(qty: number, liquidationPrice: number, barHigh: number, barLow: number): boolean {
  return qty > 0 ? liquidationPrice > barHigh : qty < 0 ? liquidationPrice < barLow : false;
}

/**
 * Price of an ADL close of a position of signed `qty`: the mark, or the bar's extreme adverse to
 * the deleveraged position (a short is bought back at the bar's high, a long sold at its low,
 * never better than the mark) as a stand-in for the counter-side's bankruptcy price.
 */
export function adlClosePrice(qty: number, mark: number, barHigh: number, barLow: number, mode: AdlModelParams['price']): number {
  if (mode === 'mark' || !(barHigh >= barLow)) return mark;
  return qty < 0 ? Math.max(mark, barHigh) : Math.min(mark, barLow);
}

/** One position to close in an ADL event. */
export interface AdlClose extends AdlRank {
  /** Share of the position closed, in (0, 1]. */
  readonly share: number;
}

/**
 * The closes of one ADL event over the account's positions: rank them, then each ranked position
 * closes `share` (a scenario's) or a share drawn by the model (two draws per ranked position, in
 * rank order, from `rng`). Positions not in profit are never deleveraged.
 */
export function planAdl(model: AdlModel, positions: readonly AdlPositionInput[], rng: () => number, share: number = NaN): AdlClose[] {
  const out: AdlClose[] = [];
  for (const r of model.rank(positions)) {
    const s = share > 0 ? Math.min(1, share) : model.drawShare(r, rng);
    if (s > 0) out.push({ ...r, share: s });
  }
  return out;
}
