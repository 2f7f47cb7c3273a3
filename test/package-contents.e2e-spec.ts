/*
 * Checks the built package (`npm run build`, which `npm test` runs first) the way npm will publish
 * it: the files `npm pack` would include, the manifest's entry points, and that both entry points
 * load with require() (docs/MODULE-FORMAT.md). The full install into fresh Nest 11 and Nest 12 apps
 * is `npm run test:consumer`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(__dirname, '../dist/libs/visiwise-webhook');

interface PackedFile {
  path: string;
  mode: number;
}

function packDryRun(): Promise<PackedFile[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['pack', '--dry-run', '--json', '--ignore-scripts', DIST],
      { cwd: join(__dirname, '..'), timeout: 60_000 },
      (error, stdout) => {
        if (error) {
          reject(new Error(`npm pack --dry-run failed: ${error.message}`));
          return;
        }
        const [result] = JSON.parse(stdout) as [{ files: PackedFile[] }];
        resolve(result.files);
      },
    );
  });
}

interface Manifest {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  exports: Record<string, string | { types: string; default: string }>;
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies?: unknown;
}

describe('the built package', () => {
  let files: PackedFile[];
  let manifest: Manifest;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'package.json'))) {
      throw new Error('dist/libs/visiwise-webhook is missing: run `npm run build` first');
    }
    manifest = JSON.parse(readFileSync(join(DIST, 'package.json'), 'utf8')) as Manifest;
    files = await packDryRun();
  }, 60_000);

  it('packs compiled JS, declarations, the bin, README, LICENSE and CHANGELOG only', () => {
    const paths = files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'index.js',
        'index.d.ts',
        'testing/index.js',
        'testing/index.d.ts',
        'cli/cli.js',
        'bin/visiwise-webhook.js',
      ]),
    );
    const unexpected = paths.filter(
      (path) =>
        !/\.(js|d\.ts)$/.test(path) &&
        !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(path),
    );
    expect(unexpected).toEqual([]);
    expect(
      paths.filter((path) => /\.spec\.|\.map$|\.ts$/.test(path) && !path.endsWith('.d.ts')),
    ).toEqual([]);
  });

  it('ships no source-map references and no TypeScript sources', () => {
    for (const { path } of files.filter((file) => file.path.endsWith('.js'))) {
      expect({
        path,
        mapped: readFileSync(join(DIST, path), 'utf8').includes('sourceMappingURL'),
      }).toEqual({
        path,
        mapped: false,
      });
    }
  });

  it('has an executable bin with a node shebang, declared in the manifest', () => {
    expect(manifest.bin).toEqual({ 'visiwise-webhook': './bin/visiwise-webhook.js' });
    const bin = files.find((file) => file.path === 'bin/visiwise-webhook.js');
    expect(bin && (bin.mode & 0o111) !== 0).toBe(true);
    expect(statSync(join(DIST, 'bin/visiwise-webhook.js')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(DIST, 'bin/visiwise-webhook.js'), 'utf8')).toMatch(
      /^#!\/usr\/bin\/env node\n/,
    );
  });

  it('declares entry points that exist, engines, and commander as a runtime dependency', () => {
    expect(manifest.name).toBe('nestjs-visiwise-webhook');
    expect(Object.keys(manifest.exports).sort()).toEqual(['.', './package.json', './testing']);
    for (const target of [manifest.main, manifest.types, ...Object.values(manifest.exports)]) {
      const paths = typeof target === 'string' ? [target] : [target.types, target.default];
      for (const path of paths) {
        expect({ path, exists: existsSync(join(DIST, path)) }).toEqual({ path, exists: true });
      }
    }
    expect(manifest.engines.node).toBe('>=20.19.0');
    expect(manifest.dependencies['commander']).toMatch(/^\^14\./);
    expect(manifest.peerDependencies).toHaveProperty('@nestjs/common');
    expect(manifest.devDependencies).toBeUndefined();
  });

  it('loads both entry points with require() (CommonJS)', () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const main = require(DIST) as Record<string, unknown>;
    const testing = require(join(DIST, 'testing')) as Record<string, unknown>;
    /* eslint-enable @typescript-eslint/no-require-imports */
    expect(typeof main['VisiwiseWebhookModule']).toBe('function');
    expect(typeof main['toShipmentSummary']).toBe('function');
    expect(typeof testing['buildShipmentTracked']).toBe('function');
    expect(typeof testing['deliverVisiwiseEvent']).toBe('function');
  });
});
