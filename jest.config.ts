/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Workspace packages resolve to their TypeScript sources, so tests never wait for a build.
const workspaces: Record<string, string> = {
  '@cdp/sdk': 'packages/sdk',
  '@cdp/runtime': 'packages/runtime',
  '@cdp/store-mongodb': 'packages/store-mongodb',
  '@cdp/store-postgres': 'packages/store-postgres',
  '@cdp/source-sql': 'packages/source-sql',
  '@cdp/scheduler': 'packages/scheduler',
  '@cdp/mailchimp-sandbox': 'packages/mailchimp-sandbox',
  '@cdp/connector-mailchimp': 'connectors/mailchimp',
  '@cdp/console': 'packages/console',
};

const shared: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(
      Object.entries(workspaces).map(([name, dir]) => [`^${name}$`, `<rootDir>/${dir}/src/index.ts`]),
    ),
    // A package's subpath exports, which load less than its index.
    '^@cdp/runtime/secrets$': '<rootDir>/packages/runtime/src/secrets.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
};

const config: Config = {
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,connectors}/*/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.reliability\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.reliability.test.ts'],
    },
  ],
};

export default config;
