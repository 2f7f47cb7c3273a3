/*
 * The targets of issues 15, 16 and 17, in one place. All are ratios between scenarios measured in the same run
 * (absolute figures drift between runs and machines; ratios far less), 1 KiB bodies, 10 connections.
 */
import { KIB } from './lib/payload';
import { STORE_CAP } from './bench.scenarios';
import {
  CONTENDERS,
  median,
  type AdapterName,
  type BenchResults,
  type ScenarioRow,
  type TargetResult,
} from './lib/results';

/** A measured value, with what it was computed from; undefined when its phase did not run. */
type Measure = (results: BenchResults) => { value: number; detail: string } | undefined;

interface Target {
  readonly target: string;
  readonly threshold: string;
  readonly measure: Measure;
  /** Absent for rows that are reported, not judged. */
  readonly pass?: (value: number) => boolean;
}

const MIB = 1024 * 1024;
const x = (value: number): string => `${value.toFixed(2)}x`;
const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

/** Ours / theirs in ops/s, the median of per-round ratios: both ran moments apart in a round. */
const microRatio =
  (other: string, sizeBytes: number): Measure =>
  (results) => {
    const rounds = (name: string): readonly number[] | undefined =>
      results.micro?.find((row) => row.name === name && row.sizeBytes === sizeBytes)
        ?.opsPerSecondByRound;
    const [ours, theirs] = [rounds(CONTENDERS.ours), rounds(other)];
    if (!ours || !theirs) return undefined;
    const value = median(ours.map((ops, round) => ops / (theirs[round] ?? NaN)));
    return { value, detail: x(value) };
  };

const row = (results: BenchResults, adapter: AdapterName, scenario: string) =>
  results.http?.find((entry) => entry.adapter === adapter && entry.scenario === scenario);

const cpu = (entry: ScenarioRow): string =>
  `${entry.scenario} ${entry.cpuMicros.toFixed(0)} µs` +
  (entry.workerCpuMicros === undefined
    ? ''
    : ` (receive ${entry.receiveCpuMicros.toFixed(0)} + worker ${entry.workerCpuMicros.toFixed(0)})`);

/** CPU per delivery of `top` over `bottom`'s: medians of their interleaved rounds. */
const cpuRatio =
  (adapter: AdapterName, top: string, bottom: string): Measure =>
  (results) => {
    const [a, b] = [row(results, adapter, top), row(results, adapter, bottom)];
    if (!a || !b) return undefined;
    const value = a.cpuMicros / b.cpuMicros;
    return { value, detail: `${x(value)}: ${cpu(a)} / ${cpu(b)} per delivery` };
  };

const sampleThroughput =
  (adapter: AdapterName): Measure =>
  (results) => {
    const sample = row(results, adapter, 'sample-inbox');
    if (!sample) return undefined;
    const value = sample.requestsPerSecond;
    const ms = `p50 ${sample.p50Millis.toFixed(2)} ms, p99 ${sample.p99Millis.toFixed(2)} ms`;
    return { value, detail: `${value.toFixed(0)}/s: ${ms}, ${cpu(sample)} per delivery` };
  };

const latencyRatio =
  (adapter: AdapterName): Measure =>
  (results) => {
    const of = (scenario: string) =>
      results.latency?.find((entry) => entry.adapter === adapter && entry.scenario === scenario);
    const [module, bare] = [of('module'), of('bare')];
    if (!module || !bare) return undefined;
    const value = module.p99Millis / bare.p99Millis;
    const ms = `${module.p99Millis.toFixed(2)} / ${bare.p99Millis.toFixed(2)} ms`;
    return { value, detail: `${x(value)}: ${ms} at ${bare.offeredRate.toFixed(0)} req/s` };
  };

/** CPU per delivery of `top` over `bottom`'s in the fixed-rate phase (the same offered load). */
const fixedRateCpuRatio =
  (adapter: AdapterName, top: string, bottom: string): Measure =>
  (results) => {
    const of = (scenario: string) =>
      results.latency?.find((entry) => entry.adapter === adapter && entry.scenario === scenario);
    const [a, b] = [of(top), of(bottom)];
    if (!a || !b) return undefined;
    const value = a.cpuMicros / b.cpuMicros;
    const micros = `${top} ${a.cpuMicros.toFixed(0)} µs / ${bottom} ${b.cpuMicros.toFixed(0)} µs`;
    return { value, detail: `${x(value)}: ${micros} at ${b.offeredRate.toFixed(0)} req/s` };
  };

const rssDelta =
  (adapter: AdapterName): Measure =>
  (results) => {
    const [module, bare] = [row(results, adapter, 'module'), row(results, adapter, 'bare')];
    if (!module || !bare) return undefined;
    const value = (module.rssAfterGcBytes - bare.rssAfterGcBytes) / MIB;
    const mb = `${(module.rssAfterGcBytes / MIB).toFixed(0)} / ${(bare.rssAfterGcBytes / MIB).toFixed(0)} MB`;
    return { value, detail: `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB: ${mb}` };
  };

/**
 * RSS after GC of the `store-capped` scenario over the second half of its rounds: its store is full
 * from the warm-up on (each round adds distinct ids and evicts as many), so a bounded store keeps
 * it flat once the process itself (compiled code, allocator arenas) has settled, which the first
 * rounds still show in every scenario, the bare route's included.
 */
const storeGrowth: Measure = (results) => {
  const rounds = row(results, 'fastify', 'store-capped')?.rounds ?? [];
  const [from, last] = [rounds[Math.floor(rounds.length / 2)], rounds[rounds.length - 1]];
  if (!from || !last || from === last) return undefined;
  const value = (last.rssAfterGcBytes - from.rssAfterGcBytes) / MIB;
  const span = `rounds ${String(Math.floor(rounds.length / 2) + 1)}-${String(rounds.length)}`;
  return { value, detail: `${value.toFixed(1)} MB over ${span}` };
};

export const TARGETS: readonly Target[] = [
  ...(
    [
      [CONTENDERS.floor, KIB, 0.7],
      [CONTENDERS.floor, 256 * KIB, 0.95],
      [CONTENDERS.standardwebhooks, KIB, 4],
      [CONTENDERS.standardwebhooks, 256 * KIB, 15],
    ] as const
  ).map(([other, size, minimum]) => ({
    target: `verify vs ${other}, ${String(size / KIB)} KiB, ops/s`,
    threshold: `>= ${String(minimum)}x`,
    measure: microRatio(other, size),
    pass: (value: number) => value >= minimum,
  })),
  ...ADAPTERS.map((adapter) => ({
    target: `guard CPU / module CPU per delivery, ${adapter}`,
    threshold: '>= 0.90',
    measure: cpuRatio(adapter, 'guard', 'module'),
    pass: (value: number) => value >= 0.9,
  })),
  ...ADAPTERS.map((adapter) => ({
    target: `guard CPU / module CPU without metrics and tracing, ${adapter}`,
    threshold: 'reported',
    measure: cpuRatio(adapter, 'guard', 'module-quiet'),
  })),
  ...ADAPTERS.map((adapter) => ({
    target: `guard CPU / module CPU per delivery at the same fixed rate, ${adapter}`,
    threshold: 'reported',
    measure: fixedRateCpuRatio(adapter, 'guard', 'module'),
  })),
  ...ADAPTERS.map((adapter) => ({
    target: `100-endpoint app CPU / single-endpoint module CPU at the same fixed rate, ${adapter}`,
    threshold: '<= 1.10x',
    measure: fixedRateCpuRatio(adapter, 'endpoints-100', 'module'),
    pass: (value: number) => value <= 1.1,
  })),
  {
    target: 'queue CPU / module CPU per delivery, fastify',
    threshold: '<= 2.0x',
    measure: cpuRatio('fastify', 'queue', 'module'),
    pass: (value) => value <= 2,
  },
  ...ADAPTERS.map((adapter) => ({
    target: `inbox (PostgreSQL log) CPU / module CPU per delivery, receive process, ${adapter}`,
    threshold: '<= 2.0x',
    measure: cpuRatio(adapter, 'inbox', 'module'),
    pass: (value: number) => value <= 2,
  })),
  ...ADAPTERS.map((adapter) => ({
    target: `sample app with PostgreSQL (inbox, claims): deliveries/s, 10 connections, ${adapter}`,
    threshold: '>= 1000',
    measure: sampleThroughput(adapter),
    pass: (value: number) => value >= 1000,
  })),
  {
    target: 'queue on pg-boss (PostgreSQL) CPU / module CPU per delivery, fastify',
    threshold: 'reported',
    measure: cpuRatio('fastify', 'queue-pgboss', 'module'),
  },
  {
    target: 'queue-split (worker in its own process) / module, fastify',
    threshold: 'reported',
    measure: cpuRatio('fastify', 'queue-split', 'module'),
  },
  ...ADAPTERS.map((adapter) => ({
    target: `module p99 / bare p99 at half the bare route's req/s, ${adapter}`,
    threshold: '<= 1.25x',
    measure: latencyRatio(adapter),
    pass: (value: number) => value <= 1.25,
  })),
  ...ADAPTERS.map((adapter) => ({
    target: `module RSS after GC - bare's, ${adapter}`,
    threshold: '<= +30 MB',
    measure: rssDelta(adapter),
    pass: (value: number) => value <= 30,
  })),
  {
    target: `memory store full (${String(STORE_CAP)} ids): RSS after GC, second half of the rounds`,
    threshold: '<= +4 MB',
    measure: storeGrowth,
    pass: (value) => value <= 4,
  },
];

/** Every target with its measured value and PASS / FAIL (NOT RUN; INFO when only reported). */
export function evaluateTargets(results: BenchResults): TargetResult[] {
  return TARGETS.map(({ target, threshold, measure, pass }) => {
    const measured = measure(results);
    const judged = measured && Number.isFinite(measured.value);
    const status = !judged ? 'NOT RUN' : !pass ? 'INFO' : pass(measured.value) ? 'PASS' : 'FAIL';
    return { target, threshold, measured: measured?.detail ?? 'n/a', status };
  });
}
