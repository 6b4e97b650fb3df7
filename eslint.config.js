// ESLint: typescript-eslint's strict type-checked rules over the sources, strategies, tests,
// scripts and bench (run by `npm test`). Settings that differ from the preset, and why:
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'sweeps/**', 'data/**', 'docs/api/**', 'bin/**', 'test/support/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['examples/*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Typed-array reads in the hot loops are `a[i]!` under noUncheckedIndexedAccess: the index is
      // in range by construction and a runtime check per element would cost the loop.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers and booleans in messages are the point of most error messages here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => void x` callbacks that return a void call are idiomatic in the CLI and tests.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Unused names starting with _ are deliberate (positional parameters of an interface).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Strategies (plain JS too), run.json, scenario files and CLI input reach the engine untyped:
      // the guards on values the types already narrow (a side that is not 'buy'/'sell', a missing
      // field) are the validation of that input, so "always true/false" is not true at run time.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // Interface methods (close(), job processors, compareRuns) return promises whether or not
      // this implementation has anything to await.
      '@typescript-eslint/require-await': 'off',
      // Strategy hooks are read once per run and called with `.call(strategy, …)`; node's
      // dynamically imported module namespaces (fs, path) are typed as methods but bind nothing.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests read the JSON a run writes (summary.json, run.json, --json output) and assert on its
    // fields: a wrong shape fails the assertion, so typing every parsed document adds nothing.
    files: ['test/**/*.ts', 'strategies/**/*.test.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Tests strip volatile fields (timings, paths) from parsed output before comparing.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
);
