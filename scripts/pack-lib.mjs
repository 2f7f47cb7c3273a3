// `npm run pack`: builds the library and packs it into exactly one
// dist/nestjs-visiwise-webhook-<version>.tgz (older tarballs there are removed first). Prints the
// tarball's path as the last line, so scripts can use `$(npm run -s pack | tail -1)`.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const lib = join(dist, 'libs/visiwise-webhook');
const isTarball = (name) => /^nestjs-visiwise-webhook-.+\.tgz$/.test(name);

execFileSync(process.execPath, [join(root, 'scripts/build-lib.mjs')], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
for (const name of readdirSync(dist).filter(isTarball)) {
  rmSync(join(dist, name));
}
// npm's own packer applies `files`, always adds README/LICENSE/package.json, and keeps the bin's
// executable bit; --ignore-scripts: the build already ran.
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const output = execFileSync(
  npm,
  ['pack', lib, '--pack-destination', dist, '--ignore-scripts', '--json'],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const [packed] = JSON.parse(output);
const tarballs = readdirSync(dist).filter(isTarball);
if (tarballs.length !== 1 || tarballs[0] !== packed.filename) {
  throw new Error(`expected exactly one tarball in dist/, found: ${tarballs.join(', ') || 'none'}`);
}
console.log(`packed ${packed.entryCount} files, ${packed.size} bytes:`);
console.log(join(dist, packed.filename));
