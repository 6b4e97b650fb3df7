/**
 * A Node module resolve hook (registered with `module.register` by src/strategy/registry.ts): a
 * strategy file's `import … from 'perpcarry'` (or `'perpcarry/strategy'`) binds to the perpcarry
 * installation that is running it, wherever the file lives and whether or not a copy of perpcarry
 * is installed next to it. One installation, one set of modules: the strategy's `defineStrategy`,
 * `UserError` and the engine's are the same objects.
 */
import type { InitializeHook, ResolveHook } from 'node:module';

/** Bare specifier → file URL of the running installation's entry. */
let entries: Readonly<Record<string, string>> = {};

/** Receives the specifier map from `module.register(…, { data: { entries } })`. */
export const initialize: InitializeHook<{ entries: Record<string, string> }> = (data) => {
  entries = data.entries;
};

/** Resolve the mapped specifiers to this installation; everything else as usual. */
export const resolve: ResolveHook = (specifier, context, next) => {
  const url = Object.prototype.hasOwnProperty.call(entries, specifier) ? entries[specifier] : undefined;
  if (url !== undefined) return { url, shortCircuit: true, format: 'module' };
  return next(specifier, context);
};
