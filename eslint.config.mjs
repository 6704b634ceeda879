// @ts-check
import tseslint from 'typescript-eslint';

/** Rooms of the runtime that load TensorFlow.js, a backend or the training machinery. */
const HEAVY_ROOMS = 'backend|cli|data|distributed|models|queue|slurm|train';

/**
 * The extension and the webviews reach the runtime only through its contract (runtime/protocol, any
 * file) and the config's public entry (runtime/config or runtime/config/index): one import of
 * runtime/train would pull TensorFlow.js into the extension bundle. test/lint/boundary.test.ts
 * checks that this rule fires.
 */
export const CLIENT_IMPORT_PATTERNS = [
  { group: ['@tensorflow/*'], message: 'the extension never imports TensorFlow.js' },
  {
    regex: '^(\\.\\./)+runtime/(?!protocol(/|$)|config(/index)?$)',
    message: 'the extension and webviews reach the runtime only through runtime/protocol and runtime/config (its index)',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'schemas/**', 'experiments/**', 'test/lint/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'runtime/ must never import vscode' }] }],
    },
    files: ['runtime/**/*.ts'],
  },
  {
    // The contract stays light: no TensorFlow.js, no backend, no trainer (the extension loads it).
    files: ['runtime/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'runtime/ must never import vscode' }],
        patterns: [
          { group: ['@tensorflow/*'], message: 'runtime/protocol is TensorFlow.js-free (the extension loads it)' },
          { regex: `^\\.\\./(${HEAVY_ROOMS})(/|$)`, message: 'runtime/protocol may use only node, runtime/config and runtime/util' },
        ],
      }],
    },
  },
  {
    // The family modules and the config load no TensorFlow.js (the editor and the submit/queue CLIs read the
    // family table): TensorFlow.js and the TF-side model modules only as types; builders get them as ctx.nn.
    files: ['runtime/models/families/**/*.ts', 'runtime/models/blocks/**/*.ts', 'runtime/config/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['@tensorflow/*'], allowTypeImports: true, message: 'model families and the config load no TensorFlow.js: import it as a type, use ctx.nn' },
          {
            regex: '^\\.\\./(\\.\\./)?(models/)?(layers|ops|nn|assemble|index)(/|$)|^\\.\\./(\\.\\./)?models$',
            allowTypeImports: true,
            message: 'model families and the config load no TensorFlow.js: import layers and ops as types, use ctx.nn',
          },
        ],
      }],
    },
  },
  {
    files: ['extension/**/*.ts', 'webviews/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: CLIENT_IMPORT_PATTERNS }],
    },
  },
  {
    // Small functions: split a function before it grows past these (blank lines and comments not counted).
    files: ['runtime/**/*.ts', 'extension/**/*.ts', 'webviews/**/*.ts'],
    rules: {
      complexity: ['error', 30],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }],
    },
  },
);
