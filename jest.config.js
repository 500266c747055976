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
  testTimeout: 120000,
};
