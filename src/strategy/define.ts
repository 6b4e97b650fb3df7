/**
 * `defineStrategy`: a strategy factory with typed params and named instrument roles.
 *
 * ```ts
 * export default defineStrategy({
 *   name: 'my-carry',
 *   description: 'Long spot / short perp while trailing funding is high',
 *   params: {
 *     leverage: number({ default: 2, min: 0.1, max: 20, unit: 'x', help: 'perp leverage' }),
 *     side: enumOf(['short', 'long'], { default: 'short', help: 'perp side' }),
 *   },
 *   universe: (input) => spotPerp(input),          // roles { spot, perp }
 *   create(p) {                                       // p: { leverage: number; side: 'short' | 'long' }
 *     let legs: { spot: Instrument; perp: Instrument };
 *     return {
 *       onStart(ctx, resolved) { legs = resolved; ctx.setLeverage(legs.perp, p.leverage); },
 *     };
 *   },
 * });
 * ```
 *
 * The result is an ordinary {@link StrategyFactory} (the plain object form stays supported and is
 * what the engine runs): its `universe` flattens the roles into the instruments to load, its
 * `create` resolves the same roles to loaded {@link Instrument} handles and hands them to `onStart`.
 */
import type { InferFields } from '../core/schema.js';
import { checkHooks, STRATEGY_HOOKS } from './hooks.js';
import type { Instrument, InstrumentSpec, ParamSchema, ParamValues, Strategy, StrategyContext, StrategyFactory, StrategyRunSettings, UniverseInput } from './types.js';

/**
 * The instruments of a universe, by role: one instrument spec, a list of roles (one per asset) or
 * a record of named roles (`{ spot, perp }`), nested as deep as needed.
 */
export type RoleSpec = InstrumentSpec | readonly RoleSpec[] | { readonly [role: string]: RoleSpec };

/** A {@link RoleSpec} with every instrument spec replaced by its loaded {@link Instrument}. */
export type Resolved<R> = R extends InstrumentSpec
  ? Instrument
  : R extends readonly (infer E)[]
    ? readonly Resolved<E>[]
    : { readonly [K in keyof R]: Resolved<R[K]> };

/** The params a strategy's code gets: the value types its schema describes. */
export type ParamsOf<S extends ParamSchema> = Readonly<InferFields<S>>;

/** A running strategy made by {@link defineStrategy}: `onStart` also gets the resolved roles. */
export interface DefinedStrategy<L> extends Omit<Strategy, 'onStart'> {
  onStart?(ctx: StrategyContext, roles: L): void;
}

/** What {@link defineStrategy} takes. */
export interface StrategyDefinition<S extends ParamSchema, R extends RoleSpec> {
  /** Kebab-case name, e.g. `delta-neutral`. */
  name: string;
  /** One line. */
  description: string;
  /** Param schemas: `number({...})`, `integer`, `boolean`, `enumOf`, `string` (src/core/schema.ts) or plain objects. */
  params: S;
  /** The instruments by role, from the run's venues and symbols (and the params). */
  universe(input: UniverseInput<ParamsOf<S>>): R;
  /** Build a fresh strategy from validated params (defaults applied, types inferred from `params`). */
  create(params: ParamsOf<S>): DefinedStrategy<Resolved<R>>;
  /** Checks across params (see {@link StrategyFactory.validateParams}). */
  validateParams?(params: ParamsOf<S>): string[];
  /** Run settings the params imply (see {@link StrategyFactory.runSettings}). */
  runSettings?(params: ParamsOf<S>): StrategyRunSettings;
}

/** A factory made by {@link defineStrategy}: a {@link StrategyFactory} that keeps its typed definition. */
export interface DefinedFactory<S extends ParamSchema, R extends RoleSpec> extends StrategyFactory {
  readonly params: S;
  readonly definition: StrategyDefinition<S, R>;
}

function isInstrumentSpec(r: RoleSpec): r is InstrumentSpec {
  return !Array.isArray(r) && typeof (r as InstrumentSpec).venue === 'string' && typeof (r as InstrumentSpec).symbol === 'string';
}

/** The instrument specs of a role tree, depth first in declaration order (the order data is loaded in). */
export function flattenRoles(roles: RoleSpec, out: InstrumentSpec[] = []): InstrumentSpec[] {
  if (isInstrumentSpec(roles)) out.push({ venue: roles.venue, symbol: roles.symbol });
  else if (Array.isArray(roles)) for (const r of roles as readonly RoleSpec[]) flattenRoles(r, out);
  else for (const r of Object.values(roles)) flattenRoles(r, out);
  return out;
}

/** The role tree with every spec looked up in the run's loaded instruments (frozen). */
export function resolveRoles<R extends RoleSpec>(roles: R, lookup: (spec: InstrumentSpec) => Instrument): Resolved<R> {
  const walk = (r: RoleSpec): unknown => {
    if (isInstrumentSpec(r)) return lookup(r);
    if (Array.isArray(r)) return Object.freeze((r as readonly RoleSpec[]).map(walk));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) out[k] = walk(v);
    return Object.freeze(out);
  };
  return walk(roles) as Resolved<R>;
}

/**
 * Turn a typed running strategy into the engine's {@link Strategy}: the same hooks bound to it,
 * `onStart` first resolving the roles.
 */
function adapt<L>(inner: DefinedStrategy<L>, resolve: (ctx: StrategyContext) => L): Strategy {
  const out: Strategy = {
    onStart(ctx) {
      const roles = resolve(ctx);
      inner.onStart?.(ctx, roles);
    },
  };
  const hooks = out as Record<string, unknown>;
  const src = inner as Record<string, unknown>;
  for (const k of STRATEGY_HOOKS) {
    if (k === 'onStart') continue;
    const f = src[k];
    if (typeof f === 'function') hooks[k] = (f as (...a: unknown[]) => unknown).bind(inner);
  }
  return out;
}

/**
 * Define a strategy with typed params and named roles; see the module doc. The returned factory
 * runs everywhere a plain {@link StrategyFactory} does.
 */
export function defineStrategy<const S extends ParamSchema, R extends RoleSpec>(def: StrategyDefinition<S, R>): DefinedFactory<S, R> {
  // The engine validates params against `def.params` before calling these, so the values have the
  // inferred types: this is the one place the untyped ParamValues are read as ParamsOf<S>.
  const typed = (p: ParamValues): ParamsOf<S> => p as unknown as ParamsOf<S>;
  const factory: DefinedFactory<S, R> = {
    name: def.name,
    description: def.description,
    params: def.params,
    definition: def,
    universe(input) {
      return flattenRoles(def.universe({ ...input, params: typed(input.params) }));
    },
    create(params, run) {
      const p = typed(params);
      const inner = def.create(p);
      checkHooks(inner, `strategy ${def.name}`);
      if (run === undefined) {
        throw new Error(`strategy ${def.name}: create(params, run) needs the run's universe input ({ venues, symbol, symbols }) to resolve its roles`);
      }
      const roles = def.universe({ ...run, params: p });
      return adapt(inner, (ctx) => resolveRoles(roles, (s) => ctx.market.instrument(s.venue, s.symbol)));
    },
  };
  if (def.validateParams) factory.validateParams = (p) => def.validateParams!(typed(p));
  if (def.runSettings) factory.runSettings = (p) => def.runSettings!(typed(p));
  return Object.freeze(factory);
}
