/**
 * Strategy parameter parsing and validation against a {@link ParamSchema}: defaults applied,
 * unknown names and bad values rejected with a message naming the parameter.
 */
import { UserError } from '../core/errors.js';
import type { ParamSchema, ParamSpec, ParamValue, ParamValues, StrategyFactory } from './types.js';

/** Parse `k=v` strings (from `--param`) into raw values (strings). */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UserError(`--param "${a}": expected name=value`);
    out[a.slice(0, eq).trim()] = a.slice(eq + 1).trim();
  }
  return out;
}

/** A decimal number as text: `2`, `-0.5`, `.5`, `1e-4`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function coerce(name: string, spec: ParamSpec, raw: ParamValue, strategy: string): ParamValue {
  const where = `strategy ${strategy}: param "${name}"`;
  switch (spec.type) {
    case 'number':
    case 'integer': {
      // Decimal notation only: Number() would also take "0x10", "0b1" and " " (0).
      const x = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(x)) throw new UserError(`${where}: "${String(raw)}" is not a number (${spec.help})`);
      if (spec.type === 'integer' && !Number.isInteger(x)) throw new UserError(`${where}: ${x} is not an integer`);
      if (spec.min !== undefined && x < spec.min) throw new UserError(`${where}: ${x} is below the minimum ${spec.min}${spec.unit ? ' ' + spec.unit : ''}`);
      if (spec.max !== undefined && x > spec.max) throw new UserError(`${where}: ${x} is above the maximum ${spec.max}${spec.unit ? ' ' + spec.unit : ''}`);
      return x;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      throw new UserError(`${where}: "${String(raw)}" is not a boolean (true/false)`);
    }
    case 'enum': {
      const s = String(raw);
      if (!spec.values.includes(s)) throw new UserError(`${where}: "${s}" is not one of ${spec.values.join(', ')}`);
      return s;
    }
    case 'string':
      return String(raw);
  }
}

/**
 * Resolve raw params against the schema: every schema key gets a value (given or default); an
 * unknown key is an error listing the known ones.
 */
export function resolveParams(schema: ParamSchema, raw: Readonly<Record<string, ParamValue>>, strategy: string): ParamValues {
  for (const k of Object.keys(raw)) {
    if (!(k in schema)) {
      const known = Object.keys(schema);
      throw new UserError(`strategy ${strategy}: unknown param "${k}" (known: ${known.length ? known.join(', ') : 'none'})`);
    }
  }
  const out: ParamValues = {};
  for (const [k, spec] of Object.entries(schema)) {
    out[k] = k in raw ? coerce(k, spec, raw[k]!, strategy) : spec.default;
  }
  return out;
}

/**
 * Resolve raw params and run the factory's cross-param checks ({@link StrategyFactory.validateParams}):
 * the params a strategy gets, or a UserError listing every problem. A check that throws is reported
 * the same way (its message), never as an internal error.
 */
export function resolveStrategyParams(factory: Pick<StrategyFactory, 'name' | 'params' | 'validateParams'>, raw: Readonly<Record<string, ParamValue>>): ParamValues {
  const params = resolveParams(factory.params, raw, factory.name);
  if (!factory.validateParams) return params;
  let problems: string[];
  try {
    problems = factory.validateParams(params) ?? [];
  } catch (e) {
    problems = [(e as Error).message];
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
