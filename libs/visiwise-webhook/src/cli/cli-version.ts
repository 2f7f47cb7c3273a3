import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The package's version, from the nearest package.json named nestjs-visiwise-webhook above this
 * file: libs/visiwise-webhook/package.json from the sources, the package's own once built or
 * installed.
 */
export function cliVersion(): string {
  if (cached !== undefined) {
    return cached;
  }
  let dir = __dirname;
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === 'nestjs-visiwise-webhook' && typeof manifest.version === 'string') {
        cached = manifest.version;
        return cached;
      }
    }
    dir = dirname(dir);
  }
  cached = '0.0.0';
  return cached;
}
