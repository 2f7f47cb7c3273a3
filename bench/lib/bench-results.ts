import type { BenchPlan } from '../bench.scenarios';
import type { AdapterName, LoadResult, ServerMeasurement } from './bench-protocol';
import type { MachineInfo } from './machine';
import type { ProfileSummary } from './profile-summary';
import type { Spread } from './stats';

/** One contender of the micro-benchmark at one size. */
export interface MicroRow {
  readonly name: string;
  readonly sizeBytes: number;
  readonly opsPerSecond: Spread;
  /** Median time per operation. */
  readonly microsPerOp: number;
  /** Against the createHmac floor (1 = as fast as one HMAC): median of the per-round ratios. */
  readonly ratioToFloor: number;
  /** Ops/s of each round, in round order (rounds interleave every contender). */
  readonly rounds: readonly number[];
}

/** One measured round of one scenario: the client's view and the server's. */
export interface HttpRound {
  readonly round: number;
  readonly load: LoadResult;
  readonly server: ServerMeasurement;
  readonly cpuMicrosPerDelivery: number;
}

export interface HttpRow {
  readonly adapter: AdapterName;
  readonly scenario: string;
  readonly bodyBytes: number;
  readonly requestsPerSecond: Spread;
  readonly p50Millis: Spread;
  readonly p99Millis: Spread;
  readonly cpuMicrosPerDelivery: Spread;
  /** Highest RSS of the server over every round (kernel high-water mark). */
  readonly peakRssBytes: number;
  /** Anything that makes the row suspect: non-2xx answers, errors, reused ids, lost deliveries. */
  readonly problems: readonly string[];
  readonly rounds: readonly HttpRound[];
}

/** Subject scenario against the baseline, on one adapter and body size. */
export interface HttpComparison {
  readonly adapter: AdapterName;
  readonly bodyBytes: number;
  readonly subject: string;
  readonly baseline: string;
  /** Median req/s of the subject over the baseline's. */
  readonly throughputRatio: number;
  /** Per-round ratios (round i of the subject over round i of the baseline): min and max. */
  readonly pairedThroughputRatio: { readonly min: number; readonly max: number };
  /** Baseline CPU per delivery over the subject's: the throughput ratio if CPU were the only limit. */
  readonly cpuRatio: number;
  /** Server CPU the subject adds per delivery, in microseconds (medians). */
  readonly addedCpuMicros: number;
  readonly p99Ratio: number;
  readonly rssDeltaBytes: number;
}

export interface SoakCheckpoint {
  readonly deliveries: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
}

export interface SoakResult {
  readonly scenario: string;
  readonly adapter: AdapterName;
  readonly deliveries: number;
  readonly requestsPerSecond: number;
  readonly checkpoints: readonly SoakCheckpoint[];
  readonly rssGrowthBytes: number;
  readonly heapGrowthBytes: number;
  /** Least-squares slope over the checkpoints. */
  readonly heapBytesPerDelivery: number;
  readonly rssBytesPerDelivery: number;
  /** The memory store's cap, and how memory behaved below and above it. */
  readonly store: {
    readonly cap: number;
    /** Heap slope while the store fills (bytes per stored id, with everything else per delivery). */
    readonly bytesPerStoredId: number;
    /**
     * Once the store is full (from the first checkpoint at or past twice the cap, and in the second
     * half of the soak) to the end: heap and RSS growth (least-squares slope times the deliveries
     * it spans), and that number of deliveries.
     */
    readonly heapGrowthAfterCapBytes: number | undefined;
    readonly rssGrowthAfterCapBytes: number | undefined;
    readonly deliveriesAfterCap: number | undefined;
  };
  readonly problems: readonly string[];
}

export type TargetStatus = 'PASS' | 'FAIL' | 'NOT RUN';

export interface TargetResult {
  readonly target: string;
  readonly threshold: string;
  readonly measured: string;
  readonly status: TargetStatus;
}

/** Latency of one server at a fixed request rate below saturation (medians over rounds). */
export interface FixedRateRow {
  readonly adapter: AdapterName;
  readonly scenario: string;
  readonly bodyBytes: number;
  /** Requests per second offered (half the bare route's measured capacity on that adapter). */
  readonly offeredRate: number;
  /** Achieved. */
  readonly requestsPerSecond: Spread;
  readonly p50Millis: Spread;
  readonly p99Millis: Spread;
  readonly cpuMicrosPerDelivery: Spread;
  readonly problems: readonly string[];
}

/** Instructions per request of one server under callgrind (see bench/lib/callgrind.ts). */
export interface InstructionRow {
  readonly adapter: AdapterName;
  readonly scenario: string;
  readonly requests: number;
  readonly instructionsPerRequest: number;
  /** Of those, in V8's compilers (see `InstructionCount.compiler`). */
  readonly compilerInstructionsPerRequest: number;
}

export interface BenchReport {
  readonly schema: 1;
  readonly mode: 'quick' | 'full';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly plan: BenchPlan;
  readonly micro?: readonly MicroRow[];
  readonly http?: {
    readonly rows: readonly HttpRow[];
    readonly comparisons: readonly HttpComparison[];
    readonly skipped: readonly string[];
  };
  readonly soak?: SoakResult;
  readonly profiles?: readonly ProfileSummary[];
  readonly instructions?: readonly InstructionRow[];
  readonly fixedRate?: readonly FixedRateRow[];
  readonly targets: readonly TargetResult[];
}
