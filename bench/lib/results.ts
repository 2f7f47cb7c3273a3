import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';
import type { MachineInfo } from './machine';

/*
 * What the runner, the processes under test and the report exchange, and the statistics they share.
 */

// The verify micro-benchmark's names and results live here, not beside it, because it loads the
// built library, which the runner can require only once it has linked it.
/** The contenders, as the report and the targets name them. */
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

/** Latency at a fixed offered rate. */
export interface LatencyRow {
  readonly adapter: AdapterName;
  readonly scenario: string;
  readonly offeredRate: number;
  readonly p50Millis: number;
  readonly p99Millis: number;
  /** Server CPU per delivery at this rate (same offered load for every scenario of the phase). */
  readonly cpuMicros: number;
  readonly problems: number;
}

/** Everything a run measured; a phase that did not run is absent. */
export interface BenchResults {
  micro?: readonly MicroResult[];
  http?: readonly ScenarioRow[];
  latency?: readonly LatencyRow[];
  /** Why scenarios were left out (e.g. no Redis). */
  readonly skipped: string[];
}

export type TargetStatus = 'PASS' | 'FAIL' | 'NOT RUN' | 'INFO';

export interface TargetResult {
  readonly target: string;
  readonly threshold: string;
  readonly measured: string;
  readonly status: TargetStatus;
}

/** What results/latest.json holds. */
export interface BenchReport {
  readonly command: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly results: BenchResults;
  readonly targets: readonly TargetResult[];
}

/*
 * The messages between the runner and the processes under test. Every server (and a separate queue
 * worker) is its own process, so that process.cpuUsage() and RSS in it are that server's alone and
 * the load generator's work never counts against it.
 */

export type AdapterName = 'express' | 'fastify';

/**
 * The applications a scenario can run; each is one factory in bench-server.ts.
 * `bare`: a Nest POST route and nothing else. `guard`: that route behind the minimal verifying
 * guard (the reference). `module`: the module's endpoint with one no-op handler.
 */
/** `sample`: the built sample app (apps/sample) as `npm start` runs it, configured by `env`. */
export type BenchAppKind = 'bare' | 'guard' | 'module' | 'sample';

/**
 * `VisiwiseWebhookModule.forRoot()` options of a scenario, without the secret (the bench makes
 * one). Plain data: it travels to the server process as JSON.
 */
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

export type ServerCommand =
  | { readonly type: 'start' }
  /**
   * Ends the window once `expectHandled` deliveries have reached the handlers (or on timeout), so
   * that work done after the answer (a queue worker) is inside it; then reports CPU and memory.
   */
  | { readonly type: 'stop'; readonly expectHandled: number; readonly drainTimeoutMillis: number }
  | { readonly type: 'shutdown' };

/** What one process did in a window, and its memory right after a forced GC. */
export interface WindowMeasurement {
  /** User + system CPU time of the process over the window. */
  readonly cpuMicros: number;
  /** Deliveries that reached the application's code (bare route or no-op handler). */
  readonly handled: number;
  readonly rssAfterGcBytes: number;
}

export type ServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'started' }
  | { readonly type: 'stopped'; readonly measurement: WindowMeasurement }
  | { readonly type: 'failed'; readonly message: string };

/** Linear-interpolated quantile (q in [0, 1]) of unsorted values; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) {
    return NaN;
  }
  const position = (sorted.length - 1) * q;
  const low = sorted[Math.floor(position)] ?? NaN;
  const high = sorted[Math.ceil(position)] ?? NaN;
  return low + (high - low) * (position - Math.floor(position));
}

/** Median of the rounds: robust to the one round another process on the cores disturbed. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
