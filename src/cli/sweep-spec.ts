/**
 * The sweep spec file (`--spec sweep.json|yaml`) and the objective: read and checked field by field
 * before anything runs, so a typo is an exit-1 error naming the file and the field's path
 * (`random.seed`, `walkForward.train`, `fixed.leverage`), never a sweep that ran to the end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../core/errors.js';
import { METRIC_NAMES } from '../analysis/metrics.js';
import type { Objective } from '../analysis/sweep/results.js';
import type { ParamValue } from '../strategy/types.js';

/** A sweep spec file (all fields optional; flags override). Documented in docs/sweeps.md. */
export interface SweepSpecFile {
  strategy?: string;
  venues?: string[] | string;
  symbol?: string;
  window?: string;
  from?: string;
  to?: string;
  timeframe?: string;
  /** Quote units. */
  capital?: number;
  fixed?: Record<string, ParamValue>;
  params?: Record<string, unknown>;
  random?: { n: number; seed?: number; vary?: string[]; ranges?: Record<string, { min: number; max: number }> };
  objective?: string | Objective;
  constraints?: string[];
  keepTop?: number;
  walkForward?: { train: string; test: string; step?: string };
  /** Stress scenarios: bundled names or .json files (relative to the spec file's folder). */
  scenarios?: string[];
}

const SPEC_KEYS = ['strategy', 'venues', 'symbol', 'window', 'from', 'to', 'timeframe', 'capital', 'fixed', 'params', 'random', 'objective', 'constraints', 'keepTop', 'walkForward', 'scenarios'];

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** Checks of one spec file; `fail(path, msg)` throws a UserError naming the file and field. */
class SpecChecker {
  constructor(readonly file: string) {}

  fail(path: string, msg: string): never {
    throw new UserError(`--spec ${this.file}: "${path}" ${msg}`);
  }

  keys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(path ? `${path}.${k}` : k, `is not a field here (fields: ${allowed.join(', ')})`);
  }

  string(o: Obj, k: string, path = k): void {
    if (o[k] !== undefined && typeof o[k] !== 'string') this.fail(path, `must be a string (got ${JSON.stringify(o[k])})`);
  }

  number(o: Obj, k: string, ok: (x: number) => boolean, what: string, path = k): void {
    if (o[k] !== undefined && !(typeof o[k] === 'number' && ok(o[k]))) this.fail(path, `must be ${what} (got ${JSON.stringify(o[k])})`);
  }

  strings(o: Obj, k: string, example: string, path = k): void {
    if (o[k] !== undefined && !isStrings(o[k])) this.fail(path, `must be a list of strings such as ${example}`);
  }
}

function checkRandom(c: SpecChecker, r: unknown): void {
  if (!isObj(r)) return c.fail('random', 'must be {n, seed?, vary?, ranges?}');
  c.keys(r, 'random', ['n', 'seed', 'vary', 'ranges']);
  c.number(r, 'n', (x) => Number.isInteger(x) && x >= 1, 'a positive integer', 'random.n');
  if (r['n'] === undefined) c.fail('random.n', 'is required (the number of points to draw)');
  c.number(r, 'seed', Number.isSafeInteger, 'an integer', 'random.seed');
  c.strings(r, 'vary', '[leverage, entryApr]', 'random.vary');
  if (r['ranges'] === undefined) return;
  if (!isObj(r['ranges'])) return c.fail('random.ranges', 'must be an object of name: {min, max}');
  for (const [k, v] of Object.entries(r['ranges'])) {
    if (!(isObj(v) && typeof v['min'] === 'number' && typeof v['max'] === 'number' && Object.keys(v).length === 2)) c.fail(`random.ranges.${k}`, 'must be {min: number, max: number}');
  }
}

function checkWalkForward(c: SpecChecker, w: unknown): void {
  if (!isObj(w)) return c.fail('walkForward', 'must be {train, test, step?} spans such as 90d');
  c.keys(w, 'walkForward', ['train', 'test', 'step']);
  for (const k of ['train', 'test', 'step']) c.string(w, k, `walkForward.${k}`);
  if (w['train'] === undefined || w['test'] === undefined) c.fail('walkForward', 'needs train and test spans (e.g. train: 90d, test: 30d)');
}

function checkObjectiveField(c: SpecChecker, x: unknown): void {
  if (typeof x === 'string') return;
  if (!isObj(x)) return c.fail('objective', 'must be "metric[:max|min]" or {metric, direction}');
  c.keys(x, 'objective', ['metric', 'direction']);
  c.string(x, 'metric', 'objective.metric');
  if (x['direction'] !== undefined && x['direction'] !== 'max' && x['direction'] !== 'min') c.fail('objective.direction', `must be max or min (got ${JSON.stringify(x['direction'])})`);
}

/** Field-by-field shape checks of a parsed spec (see {@link SweepSpecFile}). */
function checkSpec(c: SpecChecker, s: Obj): void {
  c.keys(s, '', SPEC_KEYS);
  for (const k of ['strategy', 'symbol', 'window', 'from', 'to', 'timeframe']) c.string(s, k);
  if (s['venues'] !== undefined && typeof s['venues'] !== 'string' && !isStrings(s['venues'])) c.fail('venues', 'must be a venue id or a list of them');
  c.number(s, 'capital', (x) => Number.isFinite(x) && x > 0, 'a positive number');
  c.number(s, 'keepTop', (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  if (s['fixed'] !== undefined) {
    if (!isObj(s['fixed'])) c.fail('fixed', 'must be an object of name: value');
    for (const [k, v] of Object.entries(s['fixed'])) if (!['string', 'number', 'boolean'].includes(typeof v)) c.fail(`fixed.${k}`, 'must be a number, string or boolean');
  }
  if (s['params'] !== undefined && !isObj(s['params'])) c.fail('params', 'must be an object of name: values');
  c.strings(s, 'constraints', '"exitApr < entryApr"');
  c.strings(s, 'scenarios', '[eth-discount-feb-2025, ./my-shock.json]');
  if (s['random'] !== undefined) checkRandom(c, s['random']);
  if (s['walkForward'] !== undefined) checkWalkForward(c, s['walkForward']);
  if (s['objective'] !== undefined) checkObjectiveField(c, s['objective']);
}

/** Read a .json or .yaml sweep spec; unknown keys and wrong shapes name the file and the field's path. */
export function readSpecFile(path: string): SweepSpecFile {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`--spec ${abs}: file not found`);
  let raw: unknown;
  try {
    const text = readFileSync(abs, 'utf8');
    raw = /\.ya?ml$/i.test(abs) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UserError(`--spec ${abs}: cannot parse (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw new UserError(`--spec ${abs}: expected an object`);
  checkSpec(new SpecChecker(abs), raw);
  return raw;
}

/**
 * `metric[:max|min]` (or a spec's {metric, direction}); the metric must be a summary metric
 * ({@link METRIC_NAMES}), checked here so that a typo fails before any point runs. `where` names
 * the source in the error (`--objective` or the spec file).
 */
export function parseObjective(x: string | Objective | undefined, where = '--objective'): Objective {
  if (x === undefined) return { metric: 'sharpe', direction: 'max' };
  let o: Objective;
  if (typeof x === 'object') o = { metric: x.metric, direction: x.direction === 'min' ? 'min' : 'max' };
  else {
    const [metric, dir, extra] = x.split(':');
    if (!metric || extra !== undefined || (dir !== undefined && dir !== 'max' && dir !== 'min')) throw new UserError(`${where} ${x}: expected metric[:max|min], e.g. sharpe:max`);
    o = { metric, direction: dir === 'min' ? 'min' : 'max' };
  }
  if (!(METRIC_NAMES as readonly string[]).includes(o.metric)) throw new UserError(`${where} ${typeof x === 'string' ? x : o.metric}: not a summary metric (metrics: ${METRIC_NAMES.join(', ')})`);
  return o;
}
