import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';

/** Where and on what a run was measured: figures mean little without it. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly os: string;
  readonly node: string;
  /** `git describe --dirty` of the measured tree. */
  readonly commit: string;
  readonly packages: Readonly<Record<string, string>>;
  /**
   * 1-minute load average at the start and the end: the bench keeps about two processes busy, so
   * much more means other work competed for the cores.
   */
  readonly loadAverage: { readonly start: number; end?: number };
}

const PACKAGES = ['@nestjs/core', 'express', 'fastify', 'bullmq', 'autocannon', 'tinybench'];

function version(root: string, name: string): string {
  try {
    const manifest = JSON.parse(
      readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** The 1-minute load average now. */
export function loadAverage(): number {
  return loadavg()[0] ?? NaN;
}

/** Describes this machine and the tree under `root`. */
export function machineInfo(root: string): MachineInfo {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // Not a git checkout: the report says so.
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    os: `${platform()} ${release()}`,
    node: process.version,
    commit,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, version(root, name)])),
    loadAverage: { start: loadAverage() },
  };
}
