import type { AdapterName } from './bench-protocol';
import type { MachineInfo } from './machine';

// The verify micro-benchmark's names and results live here, not beside it, because it loads the
// built library, which the runner can require only once it has linked it.
/** The contenders, as the report and the targets name them. */
export const CONTENDERS = {
  floor: 'createHmac floor',
  ours: 'VisiwiseWebhookVerifier.verify',
  oursParse: 'verify + JSON.parse',
  standardwebhooks: 'standardwebhooks 1.0.0 verify',
  svix: 'svix 1.99.1 verify',
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
  readonly problems: number;
}

export interface SoakCheckpoint {
  readonly deliveries: number;
  readonly rssAfterGcBytes: number;
  readonly heapUsedAfterGcBytes: number;
}

export interface SoakResult {
  readonly storeCap: number;
  readonly checkpoints: readonly SoakCheckpoint[];
  readonly problems: number;
}

/** Everything a run measured; a phase that did not run is absent. */
export interface BenchResults {
  micro?: readonly MicroResult[];
  http?: readonly ScenarioRow[];
  latency?: readonly LatencyRow[];
  soak?: SoakResult;
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
