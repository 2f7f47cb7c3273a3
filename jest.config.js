/** @type {import('jest').Config} */
const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  // Type checking is `npm run typecheck`'s job; ts-jest only transpiles (isolatedModules), fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^nestjs-visiwise-webhook$': '<rootDir>/libs/visiwise-webhook/src',
    '^nestjs-visiwise-webhook/(.*)$': '<rootDir>/libs/visiwise-webhook/src/$1',
  },
};

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  // Real servers, Redis and child processes on a 2-core machine: generous, never relied upon.
  testTimeout: 20_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
