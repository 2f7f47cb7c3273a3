// What the runner, the processes under test and the report exchange.
import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';
import type { MachineInfo } from './machine';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

/**
 * The verify contenders, as the report and the targets name them. Not in the micro-benchmark's
 * file: it loads the built library, which the runner can require only once it has linked it.
 */
export const CONTENDERS = {
  floor: 'createHmac floor',
  ours: 'VisiwiseWebhookVerifier.verify',
  standardwebhooks: 'standardwebhooks 1.0.0 verify',
} as const;

/** One contender at one body size: operations per second in each round. */
export interface MicroResult {
  readonly name: string;
  readonly sizeBytes: number;
  readonly opsPerSecondByRound: readonly number[];
}

/** One interleaved round of one scenario, or (in a ScenarioRow) the medians of its rounds. */
export interface Round {
  readonly requestsPerSecond: number;
  readonly p50Millis: number;
  readonly p99Millis: number;
  /** CPU of the receiving server per delivery answered 2xx. */
  readonly receiveCpuMicros: number;
  /** CPU of the separate worker process per job it handled (`worker: 'separate'` only). */
  readonly workerCpuMicros?: number;
  readonly rssAfterGcBytes: number;
  /** Non-2xx, errors, timeouts, and deliveries answered but not handled after the drain. */
  readonly problems: number;
}

/** A scenario on an adapter: medians of its rounds (problems: their sum). */
export interface ScenarioRow extends Round {
  readonly adapter: AdapterName;
  readonly scenario: string;
  /** Receive + worker: what one delivery costs in all. */
  readonly cpuMicros: number;
  readonly rounds: readonly Round[];
}

/** A scenario measured at a fixed offered rate (requests/s). */
export type LatencyRow = ScenarioRow & { readonly offeredRate: number };

/** Everything a run measured; a phase that did not run is absent. */
export interface BenchResults {
  micro?: readonly MicroResult[];
  http?: readonly ScenarioRow[];
  latency?: readonly LatencyRow[];
  rate?: readonly LatencyRow[];
  /** Why scenarios were left out (e.g. no Redis). */
  readonly skipped: string[];
}

export interface TargetResult {
  readonly target: string;
  readonly threshold: string;
  readonly measured: string;
  readonly status: 'PASS' | 'FAIL' | 'NOT RUN' | 'INFO';
}

/** What latest.json holds. */
export interface BenchReport {
  readonly command: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly results: BenchResults;
  readonly targets: readonly TargetResult[];
}

/** The applications a scenario can run, one factory each in apps/bench-server.ts. */
export type BenchAppKind = 'bare' | 'guard' | 'module' | 'sample';

/** `forRoot()` options of a scenario without the secret (the bench makes one); sent as JSON. */
export type WebhookBenchOptions = Omit<VisiwiseWebhookModuleOptions, 'secret'>;

/** What a process under test is started with (JSON in `BENCH_SERVER`). */
export interface BenchServerConfig {
  readonly app: BenchAppKind;
  /** `worker`: a Nest application context with no HTTP server (a queue worker process). */
  readonly adapter: AdapterName | 'worker';
  readonly secret: string;
  readonly path: string;
  readonly moduleOptions: WebhookBenchOptions;
}

/** Opens or closes a measurement window (see ServerProcess), or ends the process. */
export type ServerCommand =
  | { readonly type: 'start' | 'shutdown' }
  | { readonly type: 'stop'; readonly expectHandled: number };

/** One process over a window: CPU (user + system), deliveries handled, RSS after a forced GC. */
export interface WindowMeasurement {
  readonly cpuMicros: number;
  readonly handled: number;
  readonly rssAfterGcBytes: number;
}

export type ServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'started' }
  | { readonly type: 'stopped'; readonly measurement: WindowMeasurement };

/** Linear-interpolated quantile (q in [0, 1]) of unsorted values; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q;
  const [low, high] = [sorted[Math.floor(position)] ?? NaN, sorted[Math.ceil(position)] ?? NaN];
  return low + (high - low) * (position - Math.floor(position));
}

/** Median of the rounds: robust to the one round another process on the cores disturbed. */
export const median = (values: readonly number[]): number => quantile(values, 0.5);
