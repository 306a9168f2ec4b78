// Lint rules that enforce the import direction of ARCHITECTURE.md:
// renderer -> (IPC) -> preload -> electron -> core <- cli; receivers depend on nothing of the app.
import tseslint from 'typescript-eslint';

const noElectron = { name: 'electron', message: 'Only src-main/electron may import electron.' };
const appLayers = ['**/src-main/**', '**/src-renderer/**', '**/src-shared/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'test-results/**', '.venv/**', 'receivers/python/**', 'receivers/node/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectron],
        patterns: [
          { group: ['**/electron/**', '**/src-main/electron/**'], message: 'core and cli never import the Electron layer.' },
          { group: ['**/src-renderer/**'], message: 'core and cli never import the renderer.' },
        ],
      }],
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectron],
        patterns: [
          { group: ['**/electron/**', '**/cli/**', '**/src-renderer/**'], message: 'core imports neither the Electron layer, the CLI nor the renderer.' },
        ],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectron],
        patterns: [
          { group: ['node:*'], message: 'The renderer has no Node: reach the core through window.custodian.' },
          { group: ['**/src-main/**'], message: 'The renderer imports src-shared only.' },
        ],
      }],
    },
  },
  {
    files: ['receivers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectron],
        patterns: [{ group: appLayers, message: 'Receivers depend on nothing of the app, only on docs/protocol.md and shared vectors.' }],
      }],
    },
  },
);
