// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'schemas/**', 'experiments/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'runtime/ must never import vscode' }] }],
    },
    files: ['runtime/**/*.ts'],
  },
  {
    files: ['extension/**/*.ts', 'webviews/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*'], message: 'the extension never imports TensorFlow.js' }] }],
    },
  },
);
