// Jest runs the TypeScript sources as native ES modules (the project is "type": "module";
// see README "Module setup"). Type checking is `npm run typecheck`'s job, so ts-jest only
// transpiles here, which keeps the suite fast.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  // Child processes in some suites run dist/: build it once, first.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  testTimeout: 120000,
  // Jest's default is cores − 1 (a single worker on a 2-core CI box); the simulator suites
  // are split into several files so that every core shares them.
  maxWorkers: '100%',
};
