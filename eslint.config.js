import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated-types.ts', '**/generated-validator.ts', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Goal code gets a plain context; only the composition root knows the container.
    files: ['packages/sdk/**', 'connectors/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['inversify', '@inversifyjs/*'], message: 'Only packages/runtime may use the container.' }] }],
    },
  },
  {
    files: ['**/*.cjs', 'scripts/**/*.mjs', 'packages/*/scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', module: 'writable', require: 'readonly', URL: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
