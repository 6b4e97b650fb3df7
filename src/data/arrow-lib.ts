/**
 * apache-arrow for the data layer, loaded from the package's own single-file build
 * (`Arrow.esnext.min.js`, the same library and version as the `apache-arrow` import). Why: the
 * package's ES module entry is ~200 modules, which Node resolves, reads and compiles one by one
 * (0.2–0.4 s of CPU on the 2-core dev machine); the single file loads in ~45 ms. The data layer
 * takes its values from here and only its types from `apache-arrow` (type imports are erased).
 * Objects made by this copy must not be mixed with objects of the ES module copy (`instanceof`
 * differs): only bytes cross between them.
 *
 * Loaded on first use, not at import: a backtest over verified files reads its windows with
 * ipc-window.ts and never needs Arrow (25–40 ms of compile and ~5 MB of heap saved per run);
 * only whole-file reads (first sight of a file, validation, import, reports) pay for it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let lib: typeof import('apache-arrow') | undefined;

/** The apache-arrow API (single-file build), required on the first call. */
export function arrowLib(): typeof import('apache-arrow') {
  if (lib === undefined) {
    const require = createRequire(import.meta.url);
    lib = require(join(dirname(require.resolve('apache-arrow')), 'Arrow.esnext.min.js')) as typeof import('apache-arrow');
  }
  return lib;
}
