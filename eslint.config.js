// Lint rules, including the layer boundaries that are cheap to check per file (tests/architecture.test.ts
// checks the full layering): main/ never imports Electron; the renderer reaches main/ only through api types.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ABOVE_ENGINE = [
  'checkpoints',
  'models',
  'services',
  'app',
  'api',
  'server',
  'cli',
  'tokenizer',
  'image',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-electron/',
      'release/',
      '.cache/',
      '.tmp/',
      'test-results/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['main/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'main/ is plain Node: Electron APIs belong in electron/.' }] },
      ],
    },
  },
  {
    files: ['main/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'main/ is plain Node: Electron APIs belong in electron/.' }],
          patterns: [
            {
              group: ABOVE_ENGINE.map((d) => `**/${d}/**`),
              message: 'engine/ is the bottom layer: it imports nothing above it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.flat['recommended-latest'].rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer talks to main only through renderer/src/api/client.ts.',
            },
          ],
          patterns: [
            {
              regex: '(^|/)main/(?!contract(/bridge)?$)',
              message:
                'The renderer may import only main/contract and main/contract/bridge (types and schemas).',
            },
            { group: ['node:*'], message: 'The renderer runs in a browser sandbox: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    // The library's repositories are async on both backends: a promise used as a value or left unawaited is a
    // bug the type checker alone does not catch (an unawaited write, a Promise tested for truthiness).
    files: ['main/**/*.ts', 'tests/**/*.{ts,tsx}', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
