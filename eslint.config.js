// ESLint: typescript-eslint's strict type-checked rules over the sources, strategies, tests,
// scripts and bench (run by `npm test`). Settings that differ from the preset, and why:
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'sweeps/**', 'data/**', 'docs/api/**', 'bin/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
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
    },
  },
);
