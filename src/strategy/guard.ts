/**
 * Errors that name the culprit: an exception thrown by strategy code (a hook, the factory's
 * `create`, `universe`, `validateParams`, `runSettings`) is the strategy's, not perpcarry's. It is
 * reported as a {@link StrategyError} (a UserError: exit code 1) naming the strategy, the file and
 * line in the strategy's code, the hook and `ctx.now`. Exit 70 stays for perpcarry's own bugs.
 */
import { dirname, isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import { isoUtc, type UnixMs } from '../core/time.js';
import { STRATEGY_HOOKS } from './hooks.js';
import type { Strategy, StrategyContext } from './types.js';

/** Which code is the strategy's: its name, and a test on a stack frame's file path. */
export interface StrategyOrigin {
  name: string;
  /** True for files of the strategy (its module and its folder). */
  owns(file: string): boolean;
}

/** One frame of a V8 stack: file path (or URL-less name) and line/column. */
interface Frame {
  file: string;
  line: number;
  column: number;
}

const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

/** The frames of an error's stack that point into files (node internals and natives dropped). */
export function stackFrames(e: unknown): Frame[] {
  const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : '';
  const out: Frame[] = [];
  for (const line of stack.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('at ')) continue;
    const m = FRAME.exec(t);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (!isAbsolute(file)) continue;
    out.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return out;
}

/** `file:line:col` of the innermost frame in the strategy's own files, else undefined. */
export function strategyLocation(e: unknown, origin: StrategyOrigin): string | undefined {
  const f = stackFrames(e).find((fr) => origin.owns(fr.file));
  return f ? `${f.file}:${f.line}:${f.column}` : undefined;
}

/**
 * The origin of a strategy loaded from `source`: a module path (its folder is the strategy's) or a
 * built-in's folder.
 */
export function originOf(name: string, moduleFile: string | undefined): StrategyOrigin {
  if (moduleFile === undefined) return { name, owns: () => false };
  const dir = dirname(moduleFile) + sep;
  // A built-in compiled to dist/strategies/<name>/ maps (source maps) back to strategies/<name>/.
  const alt = dir.replace(`${sep}dist${sep}strategies${sep}`, `${sep}strategies${sep}`);
  return { name, owns: (file) => !file.includes(`${sep}node_modules${sep}`) && (file.startsWith(dir) || file.startsWith(alt)) };
}

/** An exception thrown by strategy code. */
export class StrategyError extends UserError {
  readonly strategy: string;
  /** `onBar`, `create(params)`, `universe(input)` …. */
  readonly hook: string;
  /** ctx.now when a hook threw (undefined for factory calls). */
  readonly nowMs: UnixMs | undefined;
  /** `file:line:col` in the strategy's code, when the stack shows it. */
  readonly location: string | undefined;
  readonly original: unknown;
  constructor(origin: StrategyOrigin, hook: string, nowMs: UnixMs | undefined, original: unknown) {
    super('');
    this.name = 'StrategyError';
    this.strategy = origin.name;
    this.hook = hook;
    this.nowMs = nowMs;
    this.location = strategyLocation(original, origin);
    this.original = original;
    this.message = this.describe();
  }

  /** The full message (the engine may prefix `message` on the way out; this rebuilds it). */
  describe(): string {
    const when = this.nowMs !== undefined && Number.isFinite(this.nowMs) ? ` at ctx.now = ${isoUtc(this.nowMs)}` : '';
    const what = this.original instanceof Error ? `${this.original.name}: ${this.original.message}` : `a thrown ${typeof this.original}: ${String(this.original)}`;
    const top = stackFrames(this.original)[0];
    const thrownAt = top && this.location !== `${top.file}:${top.line}:${top.column}` ? `\n  thrown at ${top.file}:${top.line}:${top.column}` : '';
    return `strategy ${this.strategy} threw in ${this.hook}${when}: ${what}` + (this.location ? `\n  at ${this.location} (strategy code)` : '') + thrownAt;
  }
}

/** Run a factory call (`create`, `universe` …), turning an exception into a {@link StrategyError}. */
export function callStrategy<T>(origin: StrategyOrigin, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof StrategyError) throw e;
    // A UserError (e.g. "trades exactly one venue") is a message for the user, not a crash.
    if (e instanceof UserError) throw new UserError(`strategy ${origin.name}: ${what}: ${e.message}`, e.exitCode);
    throw new StrategyError(origin, what, undefined, e);
  }
}

type Hook = (ctx: StrategyContext, ev?: unknown) => void;

/**
 * The same strategy with every hook wrapped: an exception leaving a hook becomes a
 * {@link StrategyError} naming the hook and ctx.now. One extra call per hook, no allocation.
 */
export function guardStrategy(strategy: Strategy, origin: StrategyOrigin): Strategy {
  const out: Record<string, Hook> = {};
  const src = strategy as Record<string, unknown>;
  for (const hook of STRATEGY_HOOKS) {
    const f = src[hook];
    if (typeof f !== 'function') continue;
    const bound = (f as Hook).bind(strategy);
    out[hook] = (ctx, ev) => {
      try {
        bound(ctx, ev);
      } catch (e) {
        if (e instanceof StrategyError) throw e;
        throw new StrategyError(origin, hook, ctx.now, e);
      }
    };
  }
  return out;
}
