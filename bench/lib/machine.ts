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
  /** `git describe --always --dirty` of the measured tree. */
  readonly commit: string;
  readonly packages: Readonly<Record<string, string>>;
  /** 1-minute load average at start and end: the bench keeps about two processes busy. */
  readonly loadAverage: { readonly start: number; end?: number };
}

const PACKAGES = ['@nestjs/core', 'express', 'fastify', 'bullmq', 'autocannon', 'tinybench'];

/** What `read` returns, or `unknown` when it fails (not a git checkout, no such package). */
function attempt(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return 'unknown';
  }
}

export const loadAverage = (): number => loadavg()[0] ?? NaN;

/** Describes this machine and the tree under `root`. */
export function machineInfo(root: string): MachineInfo {
  const version = (name: string): string =>
    attempt(() => {
      const file = join(root, 'node_modules', name, 'package.json');
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    });
  const describe = () =>
    execFileSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8' });
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    os: `${platform()} ${release()}`,
    node: process.version,
    commit: attempt(describe),
    packages: Object.fromEntries(PACKAGES.map((name) => [name, version(name)])),
    loadAverage: { start: loadAverage() },
  };
}
