/**
 * Strategy parameter parsing and validation against a {@link ParamSchema}: defaults applied,
 * unknown names and bad values rejected with a message naming the parameter. Values are checked by
 * the one schema mechanism of src/core/schema.ts (a ParamSpec is a leaf schema).
 */
import { UserError } from '../core/errors.js';
import { hasOwn, parse, SchemaError } from '../core/schema.js';
import { originOf, strategyLocation, type StrategyOrigin } from './guard.js';
import type { ParamSchema, ParamValue, ParamValues, StrategyFactory } from './types.js';

/** Parse `k=v` strings (from `--param`) into raw values (strings). */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UserError(`--param "${a}": expected name=value`);
    // An own data property even for `__proto__` (a plain assignment would hit the prototype setter
    // and drop the param silently instead of reporting it as unknown).
    Object.defineProperty(out, a.slice(0, eq).trim(), { value: a.slice(eq + 1).trim(), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** One param value; a schema error is reported as a plain UserError with the same message. */
function parseParam(spec: ParamSchema[string], raw: unknown, where: string): ParamValue {
  try {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- a leaf spec parses to one ParamValue; Infer of the spec union is wider
    return parse(spec, raw, where) as ParamValue;
  } catch (e) {
    if (e instanceof SchemaError) throw new UserError(e.message);
    throw e;
  }
}

/**
 * Resolve raw params against the schema: every schema key gets a value (given or default); an
 * unknown key is an error listing the known ones.
 */
export function resolveParams(schema: ParamSchema, raw: Readonly<Record<string, ParamValue>>, strategy: string): ParamValues {
  for (const k of Object.keys(raw)) {
    // Own properties only: `toString` or `constructor` must not be found on Object.prototype.
    if (!hasOwn(schema, k)) {
      const known = Object.keys(schema);
      throw new UserError(`strategy ${strategy}: unknown param "${k}" (known: ${known.length ? known.join(', ') : 'none'})`);
    }
  }
  const out: ParamValues = {};
  for (const [k, spec] of Object.entries(schema)) {
    out[k] = hasOwn(raw, k) ? parseParam(spec, raw[k], `strategy ${strategy}: param "${k}"`) : spec.default;
  }
  return out;
}

/**
 * Resolve raw params and run the factory's cross-param checks ({@link StrategyFactory.validateParams}):
 * the params a strategy gets, or a UserError listing every problem. A check that throws is reported
 * the same way (its message), never as an internal error.
 */
export function resolveStrategyParams(
  factory: Pick<StrategyFactory, 'name' | 'params' | 'validateParams'>,
  raw: Readonly<Record<string, ParamValue>>,
  origin: StrategyOrigin = originOf(factory.name, undefined),
): ParamValues {
  const params = resolveParams(factory.params, raw, factory.name);
  if (!factory.validateParams) return params;
  let problems: string[];
  try {
    problems = factory.validateParams(params) ?? [];
  } catch (e) {
    const at = strategyLocation(e, origin);
    problems = [`validateParams threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}${at ? ` (at ${at})` : ''}`];
  }
  if (problems.length > 0) {
    const given = Object.keys(raw);
    throw new UserError(
      `strategy ${factory.name}: invalid params: ${problems.join('; ')}` + (given.length ? ` (given: ${given.map((k) => `${k}=${String(raw[k])}`).join(' ')})` : ' (the defaults)'),
    );
  }
  return params;
}

/** One line per param for help output: `name (type, default x, min..max): help`. */
export function describeParams(schema: ParamSchema): string[] {
  return Object.entries(schema).map(([k, s]) => {
    const range = s.type === 'number' || s.type === 'integer' ? `${s.min ?? ''}..${s.max ?? ''}` : s.type === 'enum' ? s.values.join('|') : '';
    return `${k} (${s.type}, default ${String(s.default)}${range ? ', ' + range : ''}): ${s.help}`;
  });
}
