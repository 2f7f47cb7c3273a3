import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const LIB_ROOT = join(__dirname, '..');
const manifest = JSON.parse(readFileSync(join(LIB_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Package names imported or required by the published sources (relative imports excluded). */
function importedPackages(): Set<string> {
  const names = new Set<string>();
  const pattern = /(?:from\s+|require\()\s*'([^'.][^']*)'/g;
  for (const file of sourceFiles(join(LIB_ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      const specifier = match[1]!;
      const parts = specifier.split('/');
      names.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return names;
}

describe('package manifest', () => {
  it('declares every package the library imports (as a dependency or peer dependency)', () => {
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const undeclared = [...importedPackages()].filter(
      // The package's own name appears in doc examples (self-reference is always resolvable).
      (name) => name !== manifest.name && !declared.has(name) && !builtins.has(name),
    );
    expect(undeclared).toEqual([]);
  });

  it('imports at least the Nest packages it is built on (the scan works)', () => {
    expect([...importedPackages()]).toEqual(
      expect.arrayContaining(['@nestjs/common', '@nestjs/event-emitter', 'node:crypto']),
    );
  });
});
