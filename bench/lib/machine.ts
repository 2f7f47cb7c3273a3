import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

/** Where and on what a run was measured: numbers mean little without it. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  /**
   * Load average (1 min) when the run started and when it ended. The bench itself keeps about two
   * processes busy; much more than that means other work competed for the cores.
   */
  readonly loadAverage: { readonly start: number; readonly end?: number };
  readonly packages: Readonly<Record<string, string>>;
  /** `git describe` of the measured tree, `-dirty` when it has uncommitted changes. */
  readonly commit: string;
}

const PACKAGES = [
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/platform-fastify',
  'express',
  'fastify',
  '@nestjs/event-emitter',
  'autocannon',
];

function packageVersion(root: string, name: string): string {
  try {
    const manifest = JSON.parse(
      readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'not installed';
  }
}

function gitDescribe(root: string): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

export function currentLoadAverage(): number {
  return loadavg()[0] ?? NaN;
}

export function machineInfo(root: string): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    totalMemoryBytes: totalmem(),
    os: `${platform()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: { start: currentLoadAverage() },
    packages: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(root, name)])),
    commit: gitDescribe(root),
  };
}
