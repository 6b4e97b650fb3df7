// Loaded with `node --import` by test/cli/lazy-imports.test.ts: appends the URL of every module
// the process loads (ESM through a resolve hook, CommonJS through Module._load) to the file named
// by $PERPCARRY_RECORD_IMPORTS, one per line.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.PERPCARRY_RECORD_IMPORTS;
if (out && !globalThis.__perpcarryRecordImports) {
  globalThis.__perpcarryRecordImports = true;
  register(import.meta.url, { data: { out } });
  const Module = createRequire(import.meta.url)('node:module');
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    try {
      appendFileSync(out, `cjs ${Module._resolveFilename(request, parent, isMain)}\n`);
    } catch {
      // builtins and unresolvable requests: let the real loader report them
    }
    return load.apply(this, arguments);
  };
}

let file = null;
/** Module hooks thread: receives the output path. */
export function initialize(data) {
  file = data.out;
}
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (file) appendFileSync(file, `esm ${r.url}\n`);
  return r;
}
