// Flat config: the recommended JS and TypeScript rules over bff/, web/, e2e/, bench/, plus the
// import direction of docs/architecture.md (import-x) and the rules of hooks in the SPA.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import reactHooks from 'eslint-plugin-react-hooks';

const TESTS = ['**/*.test.ts', '**/*.test.tsx', 'e2e/**', 'bench/**', 'bff/testing/**', 'web/test/**'];

/** `bff/` folders from the bottom of docs/architecture.md's picture to the top. */
const FOUNDATION = ['bff/config', 'bff/store', 'bff/http'];
const DOMAINS = ['bff/mail', 'bff/audit', 'bff/accounts', 'bff/orgs', 'bff/mfa', 'bff/branding', 'bff/activity'];
const FEATURES = ['bff/oauth', 'bff/session', 'bff/gateway', 'bff/impersonation', 'bff/federation', 'bff/sign-in', 'bff/admin', 'bff/compat'];
const TOP = ['bff/app.ts', 'bff/main.ts', 'bff/dev.ts', 'bff/cli.ts'];
const ROUTE_FILES = ['bff/**/routes.ts', 'bff/**/*-routes.ts'];
const FOLDERS = [
  'accounts',
  'activity',
  'admin',
  'audit',
  'branding',
  'compat',
  'config',
  'federation',
  'gateway',
  'http',
  'impersonation',
  'mail',
  'mfa',
  'oauth',
  'orgs',
  'session',
  'sign-in',
  'store',
];
const ADAPTERS = ['sag', 'workos', 'zenith'];
const WEB_FEATURES = [
  'account',
  'admin-api-routes',
  'admin-audit',
  'admin-branding',
  'admin-clients',
  'admin-connections',
  'admin-dashboard',
  'admin-impersonate',
  'admin-organizations',
  'admin-resources',
  'admin-users',
  'device',
  'federation',
  'home',
  'interaction',
  'mfa',
  'passkeys',
  'password-reset',
  'session',
  'setup',
  'verify-email',
];
/**
 * What a web feature may use of another: the signed-in state (and the admin frame built on it) is
 * everyone's; the sign-in screen shows federation's buttons, the connections screen its types; the
 * second-factor and passkey pieces appear on the sign-in, account and impersonation screens.
 */
const WEB_SHARED_FEATURES = {
  // The new-password step after an initial password reuses the reset screen's form.
  interaction: ['federation', 'mfa', 'passkeys', 'password-reset'],
  'admin-connections': ['federation'],
  account: ['mfa', 'passkeys'],
  'admin-impersonate': ['mfa'],
  mfa: ['passkeys', 'interaction'],
  // The console's user page shows the account screen's session list and the audit table.
  'admin-users': ['account', 'admin-audit'],
  // The APIs screen shows a new machine client's secret as the partner-apps screen does.
  'admin-resources': ['admin-clients', 'admin-connections'],
};

const above = (list, i) => [...list.slice(i + 1)];
const zones = [
  // Each layer imports only from layers below it.
  { target: FOUNDATION, from: [...DOMAINS, ...FEATURES, ...TOP], message: 'config, store and http are the foundation: they import no domain or feature.' },
  // Route files in a domain folder (accounts/routes.ts) sit at the feature level; the rest of the folder is the domain.
  {
    target: DOMAINS.map((d) => `${d}/!(*routes).ts`),
    from: [...FEATURES, ...TOP],
    message: 'Domains (accounts, orgs, mail, audit) import no feature; put what a feature needs below it or pass it in.',
  },
  ...FEATURES.slice(0, -1).map((f, i) => ({
    target: f,
    from: [...above(FEATURES, i), ...TOP],
    message: `${f} may import only the features below it (docs/architecture.md).`,
  })),
  { target: 'bff/oauth', from: DOMAINS, message: 'The provider reads accounts through the Store; it imports no domain.' },
  { target: 'bff/impersonation', from: 'bff/federation', message: 'impersonation and federation do not know each other.' },
  { target: 'bff/federation', from: 'bff/impersonation', message: 'impersonation and federation do not know each other.' },
  {
    target: 'bff/compat',
    from: ['bff/session', 'bff/impersonation', 'bff/admin', ...TOP],
    message: 'The compatibility adapters get sessions and impersonation through what app.ts passes in.',
  },
  ...ADAPTERS.map((a) => ({ target: `bff/compat/${a}`, from: 'bff/compat', except: [`./${a}`], message: 'Each compatibility adapter stands alone.' })),
  // Route files are mounted by app.ts, never imported as libraries.
  ...FOLDERS.map((f) => ({
    target: `bff/${f}`,
    from: ROUTE_FILES,
    except: [`${import.meta.dirname}/bff/${f}/**`],
    message: 'Route files hold routes only; move what other folders need into a module of its own.',
  })),
  { target: 'bff/edge-guard.ts', from: ROUTE_FILES, message: 'Route files hold routes only.' },
  // The SPA and the BFF meet only over HTTP.
  { target: 'web', from: 'bff', message: 'The SPA talks to the BFF over HTTP only.' },
  { target: 'bff', from: 'web', message: 'The BFF does not import the SPA.' },
  { target: 'api', from: ['bff', 'web'], message: 'api/ holds the /bff shapes both sides import; it imports neither.' },
  // bulletproof-react: shared code imports no feature, features import no app code and no other feature.
  { target: ['web/components', 'web/lib'], from: ['web/features', 'web/app'], message: 'Shared SPA code imports no feature and no app code.' },
  { target: 'web/features', from: 'web/app', message: 'Features import no app code.' },
  ...WEB_FEATURES.map((f) => ({
    target: `web/features/${f}`,
    from: 'web/features',
    except: [`./${f}`, ...(f === 'session' ? [] : ['./session']), ...(WEB_SHARED_FEATURES[f] ?? []).map((s) => `./${s}`)],
    message: 'A feature imports no other feature (only the shared session state).',
  })),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'data/**', 'reports/**', '.stryker-*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
      eqeqeq: ['error', 'smart'],
      // Input validation deliberately matches control characters.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['api/**/*.ts', 'bff/**/*.ts', 'web/**/*.ts', 'web/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['api/**/*.ts', 'bff/**/*.ts', 'web/**/*.ts', 'web/**/*.tsx'],
    ignores: TESTS,
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones }] },
  },
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: TESTS,
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // useFakeBff() is a vitest set-up helper (beforeEach/afterEach), not a React hook.
      'react-hooks/rules-of-hooks': 'off',
    },
  },
);
