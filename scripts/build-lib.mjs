// Builds the publishable library into dist/libs/visiwise-webhook: compiled CommonJS + .d.ts, with
// its package.json (entry points relative to that folder), README, LICENSE, CHANGELOG and the
// executable `bin/visiwise-webhook.js` beside them.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
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
for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) {
  if (existsSync(join(root, file))) {
    copyFileSync(join(root, file), join(out, file));
  }
}
// The bin is a tiny hand-written CommonJS file (shebang + require of the compiled cli/cli.js), so
// the compiled sources stay free of a shebang; npm links it as `visiwise-webhook` on install.
mkdirSync(join(out, 'bin'), { recursive: true });
const bin = join(out, 'bin/visiwise-webhook.js');
copyFileSync(join(root, 'libs/visiwise-webhook/bin/visiwise-webhook.js'), bin);
chmodSync(bin, 0o755);
console.log(`built ${out}`);
