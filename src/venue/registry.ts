/**
 * The model registry: builds every market model of a run from run.json `models` by name, with
 * each model's params validated by the one schema mechanism (src/core/schema.ts). A bad value or
 * an unknown key is a UserError naming its run.json path (`models.fee.params.venues.binance.perp.taker`);
 * an unknown model name lists the available ones; a venue without a profile is an error listing
 * the known venues unless run.json supplies its fees and liquidation fee.
 */
import type { VenueId } from '../core/ids.js';
import { UserError } from '../core/errors.js';
import { SchemaError, hasOwn } from '../core/schema.js';
import { scheduleFeeModel, type FeeModel } from './fee.js';
import { slippageModel, type SlippageModel } from './slippage.js';
import { tieredMarginModel, type MarginModel } from './margin.js';
import { interestModel, type InterestModel } from './interest.js';
import { limitFillModel, type LimitFillModel } from './limit-fill.js';
import { knownVenues, venueProfile, VENUE_PROFILES } from './venues/index.js';
import { checkAdlParams, venueAdlParams, type AdlModelParams } from './adl.js';

/** A model choice: its name and (partial) params; defaults fill the rest. */
export interface ModelSpec {
  name: string;
  params: Record<string, unknown>;
}

/** Model choices of a run; every field optional (defaults: schedule, fixed, tiered, constant-apr). */
export interface ModelsConfig {
  fee?: Partial<ModelSpec>;
  slippage?: Partial<ModelSpec>;
  margin?: Partial<ModelSpec>;
  interest?: Partial<ModelSpec>;
  /**
   * Recorded in run.json for the reader (name, fee rates, trigger); on input only its name is
   * checked: the liquidation fee rates are set in `margin.params.liquidationFeeRate`.
   */
  liquidation?: Partial<ModelSpec>;
  /** Auto-deleveraging: `queue` (the only one); params override each venue's preset (src/venue/adl.ts). */
  adl?: Partial<ModelSpec>;
  /** When resting limit orders fill (src/venue/limit-fill.ts). Default `trade-through`, penetrationBps 0. */
  limitFill?: Partial<ModelSpec>;
}

/** The resolved models, as recorded in run.json. */
export interface ResolvedModels {
  fee: { name: string; params: unknown };
  slippage: { name: string; params: unknown };
  margin: { name: string; params: unknown };
  liquidation: { name: string; params: unknown };
  interest: { name: string; params: unknown };
  /** Recorded when configured (`models.adl`) or when a scenario schedules ADL (else run ids stay as they were). */
  adl?: { name: string; params: unknown };
  /** Recorded when configured (`models.limitFill`), so that run ids without limit orders stay as they were. */
  limitFill?: { name: string; params: unknown };
}

/** The built models of a run. */
export interface RunModels {
  fee: FeeModel;
  slippage: SlippageModel;
  margin: MarginModel;
  interest: InterestModel;
  /** ADL param overrides over the venue presets. */
  adl: Partial<AdlModelParams>;
  limitFill: LimitFillModel;
  resolved: ResolvedModels;
}

const MODEL_KEYS = ['fee', 'slippage', 'margin', 'interest', 'liquidation', 'adl', 'limitFill'] as const;
const LIQUIDATION_MODEL = 'fee-capped-at-margin';

/** Check `models` is an object of known model entries, each `{ name?, params? }`. */
function checkShape(models: unknown): void {
  if (models === null || typeof models !== 'object' || Array.isArray(models)) throw new SchemaError('models', `expected an object (got ${JSON.stringify(models)})`);
  for (const k of Object.keys(models)) {
    if (!(MODEL_KEYS as readonly string[]).includes(k)) throw new SchemaError(`models.${k}`, `unknown model (known: ${MODEL_KEYS.join(', ')})`);
    const spec: unknown = (models as Record<string, unknown>)[k];
    if (spec === undefined) continue;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new SchemaError(`models.${k}`, `expected { name, params } (got ${JSON.stringify(spec)})`);
    for (const f of Object.keys(spec)) if (f !== 'name' && f !== 'params') throw new SchemaError(`models.${k}.${f}`, 'unknown key (known: name, params)');
    const name: unknown = (spec as Record<string, unknown>)['name'];
    if (name !== undefined && typeof name !== 'string') throw new SchemaError(`models.${k}.name`, `expected a model name (got ${JSON.stringify(name)})`);
  }
}

/** `fn()`, with a plain Error turned into a UserError naming the model. */
function building<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${what}: ${(e as Error).message}`);
  }
}

/** Build and validate every model of a run from run.json `models`. */
export function buildModels(models: ModelsConfig = {}, scheduledAdl = false): RunModels {
  checkShape(models);
  const feeName = models.fee?.name ?? 'schedule';
  if (feeName !== 'schedule') throw new UserError(`unknown fee model "${feeName}" (available: schedule)`);
  const fee = building('models.fee', () => scheduleFeeModel(models.fee?.params ?? {}));
  const slippage = building('models.slippage', () => slippageModel(models.slippage?.name ?? 'fixed', models.slippage?.params ?? {}));
  const marginName = models.margin?.name ?? 'tiered';
  if (marginName !== 'tiered') throw new UserError(`unknown margin model "${marginName}" (available: tiered)`);
  const margin = building('models.margin', () => tieredMarginModel(models.margin?.params ?? {}));
  const liquidationName = models.liquidation?.name ?? LIQUIDATION_MODEL;
  if (liquidationName !== LIQUIDATION_MODEL) throw new UserError(`unknown liquidation model "${liquidationName}" (available: ${LIQUIDATION_MODEL})`);
  const interest = building('models.interest', () => interestModel(models.interest?.name ?? 'constant-apr', models.interest?.params ?? {}));
  const adlName = models.adl?.name ?? 'queue';
  if (adlName !== 'queue') throw new UserError(`unknown adl model "${adlName}" (available: queue)`);
  const adl = (models.adl?.params ?? {}) as Partial<AdlModelParams>;
  const adlKeys = Object.keys(venueAdlParams('binance'));
  for (const k of Object.keys(adl)) if (!adlKeys.includes(k)) throw new SchemaError(`models.adl.params.${k}`, `unknown key (known: ${adlKeys.join(', ')})`);
  for (const venue of ['binance', 'hyperliquid']) {
    const problem = checkAdlParams(venueAdlParams(venue, adl));
    if (problem) throw new UserError(`models.adl.params: ${problem}`);
  }
  const limitFillName = models.limitFill?.name ?? 'trade-through';
  if (limitFillName !== 'trade-through') throw new UserError(`unknown limit-fill model "${limitFillName}" (available: trade-through)`);
  const limitFill = limitFillModel(limitFillName, models.limitFill?.params ?? {});
  const { liquidationFeeRate, tiers } = margin.params;
  return {
    fee,
    slippage,
    margin,
    interest,
    adl,
    limitFill,
    resolved: {
      fee: { name: fee.name, params: fee.params },
      slippage: { name: slippage.name, params: slippage.params },
      margin: { name: margin.name, params: margin.params },
      liquidation: { name: LIQUIDATION_MODEL, params: { liquidationFeeRate, closeAt: 'liquidation-price', trigger: 'mark-bar-adverse-extreme', tiers: Object.keys(tiers) } },
      interest: { name: interest.name, params: interest.params },
      ...(models.adl || scheduledAdl ? { adl: { name: 'queue', params: { overrides: adl, binance: venueAdlParams('binance', adl), hyperliquid: venueAdlParams('hyperliquid', adl) } } } : {}),
      ...(models.limitFill ? { limitFill: { name: limitFill.name, params: limitFill.params } } : {}),
    },
  };
}

/**
 * Every venue of a run must have a profile, or run.json must give its fees
 * (`models.fee.params.venues.<venue>`, all four rates) and liquidation fee
 * (`models.margin.params.liquidationFeeRate.<venue>`). Throws a UserError listing the known venues.
 */
export function checkVenues(venues: Iterable<VenueId>, models: ModelsConfig = {}): void {
  for (const venue of venues) {
    if (hasOwn(VENUE_PROFILES, venue)) continue;
    const feeVenues = models.fee?.params?.['venues'];
    const liqRates = models.margin?.params?.['liquidationFeeRate'];
    const hasFees = typeof feeVenues === 'object' && feeVenues !== null && hasOwn(feeVenues, venue);
    const hasLiq = typeof liqRates === 'object' && liqRates !== null && hasOwn(liqRates, venue);
    if (hasFees && hasLiq) continue;
    if (!hasFees && !hasLiq) venueProfile(venue); // throws: no profile, lists the known venues
    throw new UserError(
      `venue "${venue}" has no profile (known: ${knownVenues().join(', ')}) and run.json gives only part of one: missing ${hasFees ? `models.margin.params.liquidationFeeRate.${venue}` : `models.fee.params.venues.${venue}`}`,
    );
  }
}
