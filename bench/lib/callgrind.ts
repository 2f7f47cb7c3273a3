/*
 * Instruction counts of a server under load, from valgrind's callgrind. On shared cores (and on a
 * virtual machine whose host steals cycles) time-based figures drift by ±10-20% between runs;
 * the number of instructions a process executes for the same requests does not depend on what
 * else runs, so it is the steady figure to compare two builds with. It is not time: a cache miss
 * costs one instruction, and the server runs ~50x slower under the tool, so timers and batching
 * differ from a real run. Use it next to CPU per delivery, not instead of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Whether `valgrind` and `callgrind_control` can be run here. */
export function callgrindAvailable(): boolean {
  const run = (command: string): boolean =>
    spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
  return run('valgrind') && run('callgrind_control');
}

/**
 * The command line that runs a program under callgrind, counting from the start (start-up is
 * zeroed away before the measured window) and writing its dumps to `outFile.N`.
 */
export function callgrindWrapper(outFile: string): string[] {
  return ['valgrind', '--tool=callgrind', `--callgrind-out-file=${outFile}`, '--quiet'];
}

function control(option: '-z' | '-d', pid: number): void {
  execFileSync('callgrind_control', [option, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

/** Zeroes the counters of the process: what ran before (start-up, warm-up) is not counted. */
export function zeroCounters(pid: number): void {
  control('-z', pid);
}

/**
 * Dumps the counters since the last zeroing and returns the instructions they hold (every thread:
 * the main thread, V8's compiler and garbage-collector threads, libuv's pool).
 */
export function dumpInstructions(pid: number, outFile: string): number {
  const before = new Set(dumpFiles(outFile));
  control('-d', pid);
  const added = dumpFiles(outFile).filter((file) => !before.has(file));
  if (added.length === 0) {
    throw new Error(`callgrind wrote no dump next to ${outFile}`);
  }
  return added.reduce((sum, file) => sum + totalInstructions(file), 0);
}

function dumpFiles(outFile: string): string[] {
  const directory = dirname(outFile);
  if (!existsSync(directory)) {
    return [];
  }
  const prefix = `${basename(outFile)}.`;
  return readdirSync(directory)
    .filter((name) => name.startsWith(prefix))
    .map((name) => join(directory, name));
}

function totalInstructions(file: string): number {
  const text = readFileSync(file, 'utf8');
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!match?.[1]) {
    throw new Error(`no instruction total in ${file}`);
  }
  return Number(match[1]);
}
