/*
 * The targets of issues 15, 16 and 17, in one place. All but the sample app's deliveries/s (stated
 * as a rate by its issue) are ratios between scenarios measured in the same run: absolute figures
 * drift between runs and machines, ratios far less. 1 KiB bodies. A row's threshold is also its
 * test; `reported` rows are not judged.
 */
import { STORE_CAP } from './bench.scenarios';
import { KIB } from './lib/payload';
import {
  ADAPTERS,
  CONTENDERS,
  median,
  type AdapterName,
  type BenchResults,
  type LatencyRow,
  type ScenarioRow,
  type TargetResult,
} from './lib/results';

/** A measured value, with what it was computed from; undefined when its phase did not run. */
type Measure = (results: BenchResults) => { value: number; detail: string } | undefined;
type Target = readonly [target: string, threshold: string, measure: Measure];
type AdapterMeasure = (adapter: AdapterName) => Measure;

const MIB = 1024 * 1024;
const x = (value: number): string => `${value.toFixed(2)}x`;

/** The rows of these scenarios on `adapter`, undefined where one did not run. */
function rowsOf<Row extends { adapter: AdapterName; scenario: string }>(
  rows: readonly Row[] | undefined,
  adapter: AdapterName,
  ...scenarios: string[]
): (Row | undefined)[] {
  return scenarios.map((name) =>
    rows?.find((row) => row.adapter === adapter && row.scenario === name),
  );
}

/** Ours / theirs in ops/s, the median of per-round ratios: both ran moments apart in a round. */
const microRatio =
  (other: string, sizeBytes: number): Measure =>
  ({ micro }) => {
    const rounds = (name: string) =>
      micro?.find((row) => row.name === name && row.sizeBytes === sizeBytes)?.opsPerSecondByRound;
    const [ours, theirs] = [rounds(CONTENDERS.ours), rounds(other)];
    if (!ours || !theirs) return undefined;
    const value = median(ours.map((ops, round) => ops / (theirs[round] ?? NaN)));
    return { value, detail: x(value) };
  };

const cpu = (row: ScenarioRow): string =>
  `${row.scenario} ${row.cpuMicros.toFixed(0)} µs` +
  (row.workerCpuMicros === undefined
    ? ''
    : ` (receive ${row.receiveCpuMicros.toFixed(0)} + worker ${row.workerCpuMicros.toFixed(0)})`);

/** CPU per delivery of `top` over `bottom`'s: medians of their interleaved rounds. */
const cpuRatio =
  (top: string, bottom: string): AdapterMeasure =>
  (adapter) =>
  ({ http }) => {
    const [a, b] = rowsOf(http, adapter, top, bottom);
    if (!a || !b) return undefined;
    const value = a.cpuMicros / b.cpuMicros;
    return { value, detail: `${x(value)}: ${cpu(a)} / ${cpu(b)} per delivery` };
  };

/** `top` over `bottom` at the same offered load (the latency or rate phase): CPU or p99. */
const fixedRateRatio =
  (
    top: string,
    bottom: string,
    of: 'cpuMicros' | 'p99Millis',
    phase: 'latency' | 'rate' = 'latency',
  ): AdapterMeasure =>
  (adapter) =>
  (results) => {
    const [a, b] = rowsOf(results[phase], adapter, top, bottom);
    if (!a || !b) return undefined;
    const value = a[of] / b[of];
    const figures =
      of === 'p99Millis'
        ? `${a.p99Millis.toFixed(2)} / ${b.p99Millis.toFixed(2)} ms`
        : `${top} ${a.cpuMicros.toFixed(0)} µs / ${bottom} ${b.cpuMicros.toFixed(0)} µs`;
    return { value, detail: `${x(value)}: ${figures} at ${b.offeredRate.toFixed(0)} req/s` };
  };

/** Deliveries answered 2xx per second, in the closed loop or at the offered rate (0 on a problem). */
const sampleThroughput =
  (phase: 'http' | 'rate'): AdapterMeasure =>
  (adapter) =>
  (results) => {
    const [sample] = rowsOf<ScenarioRow | LatencyRow>(results[phase], adapter, 'sample-inbox');
    if (!sample) return undefined;
    const value = sample.problems > 0 ? 0 : sample.requestsPerSecond;
    const ms = `p50 ${sample.p50Millis.toFixed(2)} ms, p99 ${sample.p99Millis.toFixed(2)} ms`;
    const offered = 'offeredRate' in sample ? ` of ${sample.offeredRate} offered` : '';
    const detail = `${sample.requestsPerSecond.toFixed(0)}/s${offered}: ${ms}, ${sample.problems} problems`;
    return { value, detail: `${detail}, ${sample.cpuMicros.toFixed(0)} µs per delivery` };
  };

const rssDelta: AdapterMeasure =
  (adapter) =>
  ({ http }) => {
    const [module, bare] = rowsOf(http, adapter, 'module', 'bare');
    if (!module || !bare) return undefined;
    const value = (module.rssAfterGcBytes - bare.rssAfterGcBytes) / MIB;
    const mb = [module, bare].map((row) => (row.rssAfterGcBytes / MIB).toFixed(0)).join(' / ');
    return { value, detail: `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB: ${mb} MB` };
  };

/**
 * RSS after GC of the `store-capped` scenario over the second half of its rounds: its store is full
 * from the warm-up on (each round adds distinct ids and evicts as many), so a bounded store keeps
 * it flat once the process itself (compiled code, allocator arenas) has settled, which the first
 * rounds still show in every scenario, the bare route's included.
 */
const storeGrowth: Measure = ({ http }) => {
  const rounds = rowsOf(http, 'fastify', 'store-capped')[0]?.rounds ?? [];
  const half = Math.floor(rounds.length / 2);
  const [from, last] = [rounds[half], rounds[rounds.length - 1]];
  if (!from || !last || from === last) return undefined;
  const value = (last.rssAfterGcBytes - from.rssAfterGcBytes) / MIB;
  return { value, detail: `${value.toFixed(1)} MB over rounds ${half + 1}-${rounds.length}` };
};

/** Targets on the HTTP scenarios: one row per adapter (`, express`, `, fastify`) unless limited. */
const PER_ADAPTER: Readonly<Record<string, readonly [string, AdapterMeasure, AdapterName[]?]>> = {
  'guard CPU / module CPU per delivery': ['>= 0.90', cpuRatio('guard', 'module')],
  'guard CPU / module CPU without metrics and tracing': [
    'reported',
    cpuRatio('guard', 'module-quiet'),
  ],
  'guard CPU / module CPU per delivery at the same fixed rate': [
    'reported',
    fixedRateRatio('guard', 'module', 'cpuMicros'),
  ],
  '100-endpoint app CPU / single-endpoint module CPU at the same fixed rate': [
    '<= 1.10x',
    fixedRateRatio('endpoints-100', 'module', 'cpuMicros'),
  ],
  'queue CPU / module CPU per delivery': ['<= 2.0x', cpuRatio('queue', 'module'), ['fastify']],
  'inbox (PostgreSQL log) CPU / module CPU per delivery at 1,050/s offered, receive process': [
    '<= 2.0x',
    fixedRateRatio('inbox', 'module', 'cpuMicros', 'rate'),
  ],
  'inbox (PostgreSQL log) CPU / module CPU per delivery, closed loop': [
    'reported',
    cpuRatio('inbox', 'module'),
  ],
  'sample app with PostgreSQL (inbox, claims): deliveries/s answered at 1,050/s offered': [
    '>= 1000',
    sampleThroughput('rate'),
  ],
  'sample app with PostgreSQL (inbox, claims): deliveries/s, closed loop of 10 connections': [
    'reported',
    sampleThroughput('http'),
  ],
  'queue on pg-boss (PostgreSQL) CPU / module CPU per delivery': [
    'reported',
    cpuRatio('queue-pgboss', 'module'),
    ['fastify'],
  ],
  'queue-split (worker in its own process) / module': [
    'reported',
    cpuRatio('queue-split', 'module'),
    ['fastify'],
  ],
  "module p99 / bare p99 at half the bare route's req/s": [
    '<= 1.25x',
    fixedRateRatio('module', 'bare', 'p99Millis'),
  ],
  "module RSS after GC - bare's": ['<= +30 MB', rssDelta],
};

export const TARGETS: readonly Target[] = [
  ...(
    [
      [CONTENDERS.floor, KIB, '>= 0.7x'],
      [CONTENDERS.floor, 256 * KIB, '>= 0.95x'],
      [CONTENDERS.standardwebhooks, KIB, '>= 4x'],
      [CONTENDERS.standardwebhooks, 256 * KIB, '>= 15x'],
    ] as const
  ).map(([other, size, threshold]): Target => [
    `verify vs ${other}, ${size / KIB} KiB, ops/s`,
    threshold,
    microRatio(other, size),
  ]),
  ...Object.entries(PER_ADAPTER).flatMap(([target, [threshold, measure, adapters = ADAPTERS]]) =>
    adapters.map((adapter): Target => [`${target}, ${adapter}`, threshold, measure(adapter)]),
  ),
  [
    `memory store full (${STORE_CAP} ids): RSS after GC, second half of the rounds`,
    '<= +4 MB',
    storeGrowth,
  ],
];

/**
 * Every target with its measured value and status: NOT RUN when its phase or scenarios did not
 * run, INFO when it is only reported, else PASS or FAIL by its threshold (`>= 0.90`, `<= +30 MB`).
 */
export function evaluateTargets(results: BenchResults): TargetResult[] {
  return TARGETS.map(([target, threshold, measure]): TargetResult => {
    const measured = measure(results);
    const row = { target, threshold, measured: measured?.detail ?? 'n/a' };
    if (!measured || !Number.isFinite(measured.value)) return { ...row, status: 'NOT RUN' };
    const [, operator, limit] = /^([<>]=) \+?([\d.]+)/.exec(threshold) ?? [];
    if (limit === undefined) return { ...row, status: 'INFO' };
    const { value } = measured;
    const pass = operator === '>=' ? value >= Number(limit) : value <= Number(limit);
    return { ...row, status: pass ? 'PASS' : 'FAIL' };
  });
}
