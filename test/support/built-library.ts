import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const SOURCES = join(ROOT, 'libs/visiwise-webhook/src');
const BUILT_ENTRY = join(ROOT, 'dist/libs/visiwise-webhook/index.js');

function newestSource(dir: string): number {
  return readdirSync(dir).reduce((newest, name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    const time = stat.isDirectory() ? newestSource(path) : name.endsWith('.ts') ? stat.mtimeMs : 0;
    return Math.max(newest, time);
  }, 0);
}

/**
 * Tests that run the package as users do (child processes on the compiled output) need an
 * up-to-date build. `npm test`, `npm run test:e2e` and `npm run test:unit` build first; a bare
 * `jest` run after editing sources fails here with the fix, rather than rebuilding `dist` under the
 * feet of other suites running in parallel.
 */
export function ensureBuiltLibrary(): string {
  if (!existsSync(BUILT_ENTRY) || statSync(BUILT_ENTRY).mtimeMs < newestSource(SOURCES)) {
    throw new Error(
      'dist/libs/visiwise-webhook is missing or older than the sources: run `npm run build` first ' +
        '(npm test does).',
    );
  }
  return BUILT_ENTRY;
}
