/**
 * Parameter points of a sweep: grid axes (`name=v1,v2,…` or `name=from:to:step`, cartesian
 * product) and random sampling within each param's schema bounds (or a narrower range), seeded.
 * Values are checked against the strategy's param schema here, so a bad axis fails before any data
 * is loaded, naming the option and the param.
 */
import seedrandom from 'seedrandom';
import { UserError } from '../core/errors.js';
import type { ParamSchema, ParamSpec, ParamValue, ParamValues } from '../strategy/types.js';

/** One swept param: its name and the values it takes, in order. */
export interface GridAxis {
  name: string;
  values: ParamValue[];
}

/** A random axis: a param drawn uniformly in [min, max] (numbers, integers) or from `values`. */
export interface RandomAxis {
  name: string;
  min?: number;
  max?: number;
  values?: ParamValue[];
}

/** Most points a grid may expand to (a typo such as step 0.0001 should not allocate millions). */
export const MAX_POINTS = 100_000;

function specOf(schema: ParamSchema, name: string, where: string): ParamSpec {
  if (!Object.prototype.hasOwnProperty.call(schema, name)) {
    throw new UserError(`${where}: unknown param "${name}" (params: ${Object.keys(schema).join(', ') || 'none'})`);
  }
  return schema[name]!;
}

/** Round away binary noise of from + i × step (0.1 + 0.2) to 12 significant digits. */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

function checkNumber(spec: ParamSpec, name: string, x: number, where: string): number {
  if (spec.type !== 'number' && spec.type !== 'integer') throw new UserError(`${where}: param "${name}" is ${spec.type}, not a number`);
  if (!Number.isFinite(x)) throw new UserError(`${where}: param "${name}": ${x} is not a finite number`);
  if (spec.type === 'integer' && !Number.isInteger(x)) throw new UserError(`${where}: param "${name}" is an integer; ${x} is not`);
  if (spec.min !== undefined && x < spec.min) throw new UserError(`${where}: param "${name}" = ${x} is below its minimum ${spec.min}`);
  if (spec.max !== undefined && x > spec.max) throw new UserError(`${where}: param "${name}" = ${x} is above its maximum ${spec.max}`);
  return x;
}

/** Parse and check one listed value (text from the CLI, or a JSON value from a spec file). */
function checkValue(spec: ParamSpec, name: string, raw: ParamValue, where: string): ParamValue {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const x = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(raw) ? Number(raw) : NaN;
      if (Number.isNaN(x)) throw new UserError(`${where}: param "${name}": "${String(raw)}" is not a number`);
      return checkNumber(spec, name, x, where);
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).trim().toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw new UserError(`${where}: param "${name}" is boolean; "${String(raw)}" is not true/false`);
    }
    case 'enum': {
      const t = String(raw).trim();
      if (!spec.values.includes(t)) throw new UserError(`${where}: param "${name}": "${t}" is not one of ${spec.values.join(', ')}`);
      return t;
    }
    case 'string':
      return String(raw);
  }
}

/** Values of `from:to:step` (inclusive of `to` when it lies on the grid). */
export function rangeValues(from: number, to: number, step: number, where: string): number[] {
  if (![from, to, step].every(Number.isFinite)) throw new UserError(`${where}: from:to:step must be numbers (got ${from}:${to}:${step})`);
  if (!(step > 0)) throw new UserError(`${where}: step must be positive (got ${step})`);
  if (to < from) throw new UserError(`${where}: from ${from} is above to ${to}`);
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  if (n > MAX_POINTS) throw new UserError(`${where}: ${n} values; at most ${MAX_POINTS}`);
  return Array.from({ length: n }, (_, i) => tidy(from + i * step));
}

/**
 * Parse one `--grid` argument against the schema: `name=v1,v2,…` (any param type) or
 * `name=from:to:step` (numbers and integers).
 */
export function parseGridArg(arg: string, schema: ParamSchema): GridAxis {
  const where = `--grid ${arg}`;
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw new UserError(`${where}: expected name=v1,v2,… or name=from:to:step`);
  const name = arg.slice(0, eq).trim();
  const rhs = arg.slice(eq + 1).trim();
  const spec = specOf(schema, name, where);
  if (rhs.includes(':') && !rhs.includes(',')) {
    const parts = rhs.split(':').map((p) => p.trim());
    if (parts.length !== 3 || parts.some((p) => p === '')) throw new UserError(`${where}: a range is from:to:step (three numbers)`);
    const [from, to, step] = parts.map((p) => checkValue({ type: 'number', help: '', default: 0 }, name, p, where) as number) as [number, number, number];
    return { name, values: rangeValues(from, to, step, where).map((v) => checkValue(spec, name, v, where)) };
  }
  const items = rhs.split(',').map((p) => p.trim());
  if (items.some((p) => p === '')) throw new UserError(`${where}: an empty value in the list`);
  return { name, values: items.map((v) => checkValue(spec, name, v, where)) };
}

/** Axes from a spec file's `{ name: [values] | "from:to:step" | {from, to, step} }` entries. */
export function axisFromSpec(name: string, raw: unknown, schema: ParamSchema, where: string): GridAxis {
  const spec = specOf(schema, name, where);
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw new UserError(`${where}: params.${name}: an empty list`);
    return { name, values: raw.map((v) => checkValue(spec, name, v as ParamValue, `${where}: params.${name}`)) };
  }
  if (typeof raw === 'string') return parseGridArg(`${name}=${raw}`, schema);
  if (raw && typeof raw === 'object' && 'step' in raw) {
    const r = raw as { from?: unknown; to?: unknown; step?: unknown };
    const vals = rangeValues(Number(r.from), Number(r.to), Number(r.step), `${where}: params.${name}`);
    return { name, values: vals.map((v) => checkValue(spec, name, v, `${where}: params.${name}`)) };
  }
  throw new UserError(`${where}: params.${name} must be a list of values, "from:to:step" or {from, to, step} (or {min, max} with random)`);
}

/** The cartesian product of the axes, the last axis varying fastest. No axes: one empty point. */
export function expandGrid(axes: readonly GridAxis[]): ParamValues[] {
  const names = new Set<string>();
  for (const a of axes) {
    if (names.has(a.name)) throw new UserError(`--grid: param "${a.name}" is given twice`);
    names.add(a.name);
  }
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > MAX_POINTS) throw new UserError(`--grid: ${total} points; at most ${MAX_POINTS}`);
  const out: ParamValues[] = [];
  const idx = new Array<number>(axes.length).fill(0);
  for (let p = 0; p < total; p++) {
    const point: ParamValues = {};
    axes.forEach((a, i) => (point[a.name] = a.values[idx[i]!]!));
    out.push(point);
    for (let i = axes.length - 1; i >= 0; i--) {
      if (++idx[i]! < axes[i]!.values.length) break;
      idx[i] = 0;
    }
  }
  return out;
}

/**
 * The random axes of a schema: `names` (default: every number/integer param with both bounds),
 * each narrowed by `ranges[name]` (which must lie within the schema's bounds).
 */
export function randomAxes(schema: ParamSchema, names: readonly string[] | undefined, ranges: Readonly<Record<string, { min: number; max: number }>> = {}): RandomAxis[] {
  const where = '--random';
  const chosen: string[] = names ? [...names] : Object.keys(schema).filter((k) => {
    const s = schema[k]!;
    return (s.type === 'number' || s.type === 'integer') && s.min !== undefined && s.max !== undefined;
  });
  for (const k of Object.keys(ranges)) if (!chosen.includes(k)) chosen.push(k);
  return chosen.map((name): RandomAxis => {
    const spec = specOf(schema, name, where);
    if (spec.type === 'boolean') return { name, values: [false, true] };
    if (spec.type === 'enum') return { name, values: [...spec.values] };
    if (spec.type === 'string') throw new UserError(`${where}: param "${name}" is a free string; list its values with --grid instead`);
    const r = ranges[name];
    const min = r?.min ?? spec.min;
    const max = r?.max ?? spec.max;
    if (min === undefined || max === undefined) throw new UserError(`${where}: param "${name}" has no ${min === undefined ? 'min' : 'max'} in its schema; give --range ${name}=lo:hi`);
    checkNumber(spec, name, min, `--range ${name}`);
    checkNumber(spec, name, max, `--range ${name}`);
    if (!(max >= min)) throw new UserError(`--range ${name}: min ${min} is above max ${max}`);
    return { name, min, max };
  });
}

/**
 * `n` points drawn uniformly within the axes (integers: each integer in [min, max] equally likely),
 * from seedrandom(`perpcarry-sweep:<seed>`): the same seed gives the same points. Numbers are
 * rounded to 12 significant digits so that their text form (CSV, config hash) is short and stable.
 */
export function sampleRandom(axes: readonly RandomAxis[], schema: ParamSchema, n: number, seed: number): ParamValues[] {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_POINTS) throw new UserError(`--random: the number of points must be an integer in 1…${MAX_POINTS} (got ${n})`);
  if (!Number.isSafeInteger(seed)) throw new UserError(`--seed must be an integer (got ${seed})`);
  const rng = seedrandom(`perpcarry-sweep:${seed}`);
  const out: ParamValues[] = [];
  for (let p = 0; p < n; p++) {
    const point: ParamValues = {};
    for (const a of axes) {
      const u = rng();
      if (a.values) point[a.name] = a.values[Math.min(a.values.length - 1, Math.floor(u * a.values.length))]!;
      else if (schema[a.name]!.type === 'integer') {
        const lo = Math.ceil(a.min!);
        const hi = Math.floor(a.max!);
        point[a.name] = lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
      } else point[a.name] = tidy(a.min! + u * (a.max! - a.min!));
    }
    out.push(point);
  }
  return out;
}

/** Parse `--range name=lo:hi` arguments. */
export function parseRangeArgs(args: readonly string[]): Record<string, { min: number; max: number }> {
  const out: Record<string, { min: number; max: number }> = {};
  for (const a of args) {
    const m = /^([^=]+)=\s*([^:]+):([^:]+)$/.exec(a);
    const min = m ? Number(m[2]) : NaN;
    const max = m ? Number(m[3]) : NaN;
    if (!m || !Number.isFinite(min) || !Number.isFinite(max)) throw new UserError(`--range ${a}: expected name=lo:hi`);
    out[m[1]!.trim()] = { min, max };
  }
  return out;
}
