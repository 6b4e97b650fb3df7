/**
 * `perpcarry/strategy`: everything needed to write a strategy module. A strategy file imports from
 * here (or from `perpcarry`, which re-exports it) and default-exports {@link defineStrategy}(…) or a
 * plain {@link StrategyFactory} object.
 */
export { defineStrategy, flattenRoles, resolveRoles } from './define.js';
export type { DefinedFactory, DefinedStrategy, ParamsOf, Resolved, RoleSpec, StrategyDefinition } from './define.js';
export { boolean, enumOf, integer, number, oneOf, string } from '../core/schema.js';
export type { Infer, InferFields } from '../core/schema.js';
export { singleSymbol, singleVenue, spotPerp, spotPerpOf, spotPerpPerAsset, spotAndPerpOnOneVenue } from './universe.js';
export type { SpotPerpInstruments, SpotPerpRoles } from './universe.js';
export { hedgeMargin, hedgeNotional, prepareOneVenueHedge, PERP_COST_HEADROOM } from './sizing.js';
export { ADL_REHEDGE_TAG, ADL_RESPONSES, ADL_UNWIND_TAG, adlResponseParam, cancelAll, respondToAdl, unwindAfterRefusedRehedge } from './reactions.js';
export type { AdlResponse } from './reactions.js';
export { STRATEGY_HOOKS } from './hooks.js';
export type { StrategyHook } from './hooks.js';
export { perpOf, spotOf, parseSymbol } from '../core/ids.js';
export type { Symbol, VenueId } from '../core/ids.js';
export { MS_PER_DAY, MS_PER_HOUR } from '../core/time.js';
export type { UnixMs } from '../core/time.js';
export { UserError } from '../core/errors.js';
export type {
  AdlEvent,
  BarEvent,
  FillEvent,
  FundingEvent,
  HedgeBrokenEvent,
  HedgeRequest,
  Instrument,
  InstrumentSpec,
  LiquidationEvent,
  Logger,
  MarketView,
  OrderInfo,
  OrderRequest,
  OrdersView,
  ParamSchema,
  ParamSpec,
  ParamValue,
  ParamValues,
  PerpAccountView,
  PortfolioView,
  RejectEvent,
  RejectReason,
  SleepRequest,
  Strategy,
  StrategyContext,
  StrategyFactory,
  StrategyRunSettings,
  TimerEvent,
  TransferRequest,
  UniverseInput,
  WakeLevel,
} from './types.js';
