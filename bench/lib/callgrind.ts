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

/** What a dump holds: all instructions, and those of V8's compilers among them. */
export interface InstructionCount {
  readonly total: number;
  /**
   * Instructions in functions of V8's compilers (TurboFan, Maglev, Sparkplug, the bytecode
   * generator), mostly on their background threads. A server still being optimised after the
   * warm-up spends them on code it will reuse: in a long run they fade, so the rest is the
   * steadier per-request cost.
   */
  readonly compiler: number;
}

/**
 * Dumps the counters since the last zeroing and returns the instructions they hold (every thread:
 * the main thread, V8's compiler and garbage-collector threads, libuv's pool).
 */
export function dumpInstructions(pid: number, outFile: string): InstructionCount {
  const before = new Set(dumpFiles(outFile));
  control('-d', pid);
  const added = dumpFiles(outFile).filter((file) => !before.has(file));
  if (added.length === 0) {
    throw new Error(`callgrind wrote no dump next to ${outFile}`);
  }
  return added.map(countInstructions).reduce((sum, count) => ({
    total: sum.total + count.total,
    compiler: sum.compiler + count.compiler,
  }));
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

const COMPILER_FUNCTION =
  /v8::internal::(?:compiler|maglev|baseline|interpreter)::|v8::internal::(?:Turbofan|Optimized)CompilationJob/;

/**
 * The total of a dump, and the self cost of the compilers' functions. The format (callgrind's
 * "Callgrind Format Specification"): `fn=` opens a function; each cost line after it is that
 * function's own cost, except the line after `calls=`, which is the inclusive cost of a call and
 * is skipped. Names are compressed: `(id) name` in an `fn=` or `cfn=` line defines one, `(id)`
 * alone refers to it.
 */
function countInstructions(file: string): InstructionCount {
  const text = readFileSync(file, 'utf8');
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!match?.[1]) {
    throw new Error(`no instruction total in ${file}`);
  }
  const names = new Map<string, string>();
  let inCompiler = false;
  let skipCallCost = false;
  let compiler = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      // `(id) name` defines a compressed name (in either kind of line); `(id)` alone reuses it.
      const named = /^c?fn=(\(\d+\))(?: (.*))?$/.exec(line);
      const id = named?.[1];
      const defined = named?.[2];
      if (id !== undefined && defined !== undefined) {
        names.set(id, defined);
      }
      if (line.startsWith('fn=')) {
        const name = defined ?? (id === undefined ? line.slice(3) : names.get(id)) ?? '';
        inCompiler = COMPILER_FUNCTION.test(name);
      }
    } else if (line.startsWith('calls=')) {
      skipCallCost = true;
    } else if (/^[0-9+*-]/.test(line)) {
      if (skipCallCost) {
        skipCallCost = false;
      } else if (inCompiler) {
        compiler += Number(line.split(' ')[1] ?? 0);
      }
    }
  }
  return { total: Number(match[1]), compiler };
}
