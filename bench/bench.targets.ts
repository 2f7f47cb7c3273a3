/*
 * The targets of issue 15, in one place. All are ratios between scenarios measured in the same run
 * (absolute figures drift between runs and machines; ratios far less), 1 KiB bodies, 10 connections.
 */
import type { AdapterName } from './lib/bench-protocol';
import { KIB } from './lib/payload';
import { CONTENDERS, type BenchResults, type TargetResult, type TargetStatus } from './lib/results';
import { median } from './lib/stats';

interface Measured {
  readonly value: number;
  /** The value with what it was computed from. */
  readonly detail: string;
}

interface Target {
  readonly target: string;
  readonly threshold: string;
  /** Undefined when the phase or the scenarios it needs did not run. */
  readonly measure: (results: BenchResults) => Measured | undefined;
  /** Absent for rows that are reported, not judged. */
  readonly pass?: (value: number) => boolean;
}

const MIB = 1024 * 1024;
const x = (value: number): string => `${value.toFixed(2)}x`;
const us = (value: number): string => `${value.toFixed(0)} µs`;

/** Median over rounds of ours / theirs (ops/s): the two ran moments apart in each round. */
function microRatio(results: BenchResults, other: string, sizeBytes: number): Measured | undefined {
  const rounds = (name: string): readonly number[] | undefined =>
    results.micro?.find((row) => row.name === name && row.sizeBytes === sizeBytes)
      ?.opsPerSecondByRound;
  const ours = rounds(CONTENDERS.ours);
  const theirs = rounds(other);
  if (!ours || !theirs) {
    return undefined;
  }
  const value = median(ours.map((ops, round) => ops / (theirs[round] ?? NaN)));
  return { value, detail: x(value) };
}

const row = (results: BenchResults, adapter: AdapterName, scenario: string) =>
  results.http?.find((entry) => entry.adapter === adapter && entry.scenario === scenario);

/** `numerator` CPU per delivery over `denominator`'s, ratio of the medians of their rounds. */
function cpuRatio(
  results: BenchResults,
  adapter: AdapterName,
  numerator: string,
  denominator: string,
): Measured | undefined {
  const top = row(results, adapter, numerator);
  const bottom = row(results, adapter, denominator);
  if (!top || !bottom) {
    return undefined;
  }
  const value = top.cpuMicros / bottom.cpuMicros;
  const split = (entry: typeof top): string =>
    entry.workerCpuMicros === undefined
      ? us(entry.cpuMicros)
      : `${us(entry.cpuMicros)} = receive ${us(entry.receiveCpuMicros)} + worker ${us(entry.workerCpuMicros)}`;
  return {
    value,
    detail: `${x(value)} (${numerator} ${split(top)}, ${denominator} ${split(bottom)} per delivery)`,
  };
}

function latencyRatio(results: BenchResults, adapter: AdapterName): Measured | undefined {
  const of = (scenario: string) =>
    results.latency?.find((entry) => entry.adapter === adapter && entry.scenario === scenario);
  const module = of('module');
  const bare = of('bare');
  if (!module || !bare) {
    return undefined;
  }
  const value = module.p99Millis / bare.p99Millis;
  return {
    value,
    detail: `${x(value)} (p99 ${module.p99Millis.toFixed(2)} vs ${bare.p99Millis.toFixed(2)} ms at ${String(Math.round(bare.offeredRate))} req/s)`,
  };
}

function rssDelta(results: BenchResults, adapter: AdapterName): Measured | undefined {
  const module = row(results, adapter, 'module');
  const bare = row(results, adapter, 'bare');
  if (!module || !bare) {
    return undefined;
  }
  const value = (module.rssAfterGcBytes - bare.rssAfterGcBytes) / MIB;
  return {
    value,
    detail: `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB (${(module.rssAfterGcBytes / MIB).toFixed(0)} vs ${(bare.rssAfterGcBytes / MIB).toFixed(0)} MB)`,
  };
}

/**
 * RSS after GC from the first checkpoint past twice the store's cap (the store is full and has
 * evicted for a while) to the last: what a bounded store keeps flat.
 */
function soakGrowth(results: BenchResults): Measured | undefined {
  const soak = results.soak;
  const full = soak?.checkpoints.filter((point) => point.deliveries >= 2 * soak.storeCap) ?? [];
  const first = full[0];
  const last = full[full.length - 1];
  if (!soak || !first || !last || first === last) {
    return undefined;
  }
  const value = (last.rssAfterGcBytes - first.rssAfterGcBytes) / MIB;
  const heap = (last.heapUsedAfterGcBytes - first.heapUsedAfterGcBytes) / MIB;
  return {
    value,
    detail: `RSS ${value.toFixed(1)} MB, heap ${heap.toFixed(1)} MB from ${String(first.deliveries)} to ${String(last.deliveries)} deliveries (cap ${String(soak.storeCap)})`,
  };
}

const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

export const TARGETS: readonly Target[] = [
  ...(
    [
      ['createHmac floor', CONTENDERS.floor, KIB, 0.7],
      ['createHmac floor', CONTENDERS.floor, 256 * KIB, 0.95],
      ['standardwebhooks', CONTENDERS.standardwebhooks, KIB, 4],
      ['standardwebhooks', CONTENDERS.standardwebhooks, 256 * KIB, 15],
    ] as const
  ).map(([label, other, size, minimum]): Target => ({
    target: `verify vs ${label}, ${String(size / KIB)} KiB (ops/s)`,
    threshold: `>= ${String(minimum)}x`,
    measure: (results) => microRatio(results, other, size),
    pass: (value) => value >= minimum,
  })),
  ...ADAPTERS.map((adapter): Target => ({
    target: `guard CPU / module CPU per delivery, ${adapter}`,
    threshold: '>= 0.90',
    measure: (results) => cpuRatio(results, adapter, 'guard', 'module'),
    pass: (value) => value >= 0.9,
  })),
  {
    target: 'queue CPU / module CPU per delivery, fastify',
    threshold: '<= 2.0x',
    measure: (results) => cpuRatio(results, 'fastify', 'queue', 'module'),
    pass: (value) => value <= 2,
  },
  {
    target: 'queue-split (worker in another process) / module, fastify',
    threshold: 'reported',
    measure: (results) => cpuRatio(results, 'fastify', 'queue-split', 'module'),
  },
  ...ADAPTERS.map((adapter): Target => ({
    target: `module p99 / bare p99 at half the bare route's req/s, ${adapter}`,
    threshold: '<= 1.25x',
    measure: (results) => latencyRatio(results, adapter),
    pass: (value) => value <= 1.25,
  })),
  ...ADAPTERS.map((adapter): Target => ({
    target: `module RSS after GC - bare's, ${adapter}`,
    threshold: '<= +30 MB',
    measure: (results) => rssDelta(results, adapter),
    pass: (value) => value <= 30,
  })),
  {
    target: 'soak: RSS after GC once the memory store is full',
    threshold: '<= +4 MB',
    measure: soakGrowth,
    pass: (value) => value <= 4,
  },
];

/** Every target with its measured value and PASS / FAIL (or NOT RUN, or INFO when not judged). */
export function evaluateTargets(results: BenchResults): TargetResult[] {
  return TARGETS.map(({ target, threshold, measure, pass }) => {
    const measured = measure(results);
    let status: TargetStatus = 'NOT RUN';
    if (measured && Number.isFinite(measured.value)) {
      status = pass === undefined ? 'INFO' : pass(measured.value) ? 'PASS' : 'FAIL';
    }
    return { target, threshold, measured: measured?.detail ?? 'n/a', status };
  });
}
