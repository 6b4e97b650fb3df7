/**
 * The hook names of {@link Strategy}, known at runtime: a strategy object carrying a property that
 * looks like a hook but is not one (`onbar`, `onFills`) would otherwise be silently ignored.
 */
import { UserError } from '../core/errors.js';
import type { Strategy } from './types.js';

/** Every hook of {@link Strategy}, in the order they are documented. */
export const STRATEGY_HOOKS = ['onStart', 'onBar', 'onFunding', 'onFill', 'onLiquidation', 'onAdl', 'onTimer', 'onReject', 'onHedgeBroken', 'onEnd'] as const satisfies readonly (keyof Strategy)[];

/** A hook name. */
export type StrategyHook = (typeof STRATEGY_HOOKS)[number];

// A hook added to `Strategy` must be listed above, or a strategy defining it would be refused as
// "unknown hook": this line stops compiling until it is.
type Unlisted = Exclude<keyof Strategy, StrategyHook>;
const _everyHookListed: [Unlisted] extends [never] ? true : { unlistedHook: Unlisted } = true;

const HOOK_SET: ReadonlySet<string> = new Set(STRATEGY_HOOKS);

/** Names on `obj` and its prototypes (up to, not including, Object.prototype). */
function propertyNames(obj: object): string[] {
  const out = new Set<string>();
  for (let o: object | null = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) out.add(k);
  }
  return [...out];
}

/** The known hook closest to `name` ignoring case and a trailing `s` (`onbar`, `onFills` → onBar, onFill). */
function closestHook(name: string): StrategyHook | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/s$/, '');
  return STRATEGY_HOOKS.find((h) => norm(h) === norm(name));
}

/**
 * Throw a UserError naming every property of `strategy` that looks like a hook (`on` + a letter,
 * a function) but is not one of {@link STRATEGY_HOOKS}, with the known hooks and the likely one.
 * Also refuses a known hook name bound to something that is not a function.
 */
export function checkHooks(strategy: object, who: string): void {
  const problems: string[] = [];
  for (const k of propertyNames(strategy)) {
    if (!/^on[A-Za-z]/.test(k)) continue;
    let v: unknown;
    try {
      v = (strategy as Record<string, unknown>)[k];
    } catch {
      continue;
    }
    if (HOOK_SET.has(k)) {
      if (v !== undefined && typeof v !== 'function') problems.push(`${k} is a ${v === null ? 'null' : typeof v}, not a function`);
      continue;
    }
    if (typeof v !== 'function') continue;
    const near = closestHook(k);
    problems.push(`unknown hook "${k}"${near ? ` (did you mean ${near}?)` : ''}`);
  }
  if (problems.length) throw new UserError(`${who}: ${problems.join('; ')}; the hooks are ${STRATEGY_HOOKS.join(', ')}`);
}
