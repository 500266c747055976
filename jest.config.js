// Jest runs the TypeScript sources as native ES modules (the project is "type": "module";
// see README "Module setup"). Type checking is `npm run typecheck`'s job, so ts-jest only
// transpiles here, which keeps the suite fast.
import { availableParallelism } from 'node:os';

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
  // Jest's default is cores − 1 (a single worker on a 2-core CI box). Most suites spend much
  // of their time waiting on processes they started (elections, probes, rollouts), so one
  // worker more than the cores keeps both busy (CI: 3 on 2 cores; a whole run at 2 left
  // ~20% idle; a percentage above 100% is not Jest's: it reads '150%' as 150 workers); the
  // simulator suites are split into several files to share the cores.
  maxWorkers: availableParallelism() + 1,
};
