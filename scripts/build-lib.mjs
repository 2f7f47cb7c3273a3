// Builds the publishable library into dist/libs/visiwise-webhook: compiled CommonJS + .d.ts, with
// its package.json (entry points relative to that folder), README and LICENSE beside them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/libs/visiwise-webhook');

rmSync(out, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'libs/visiwise-webhook/tsconfig.lib.json'],
  { cwd: root, stdio: 'inherit' },
);
copyFileSync(join(root, 'libs/visiwise-webhook/package.json'), join(out, 'package.json'));
for (const file of ['README.md', 'LICENSE']) {
  if (existsSync(join(root, file))) {
    copyFileSync(join(root, file), join(out, file));
  }
}
console.log(`built ${out}`);
