import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';

/*
 * The messages between the bench runner and its child processes (IPC). The runner, every server
 * under test and the load generator are separate processes, so that CPU time and RSS are measured
 * per server and the load generator's own work is never counted against the server.
 */

export type AdapterName = 'express' | 'fastify';

/**
 * `bare`: a Nest POST route with `rawBody: true` and nothing else. `guard`: that route behind a
 * minimal Svix-verifying guard (a reference point). `module`: the module's endpoint.
 */
export type BenchAppKind = 'bare' | 'guard' | 'module';

/**
 * Options of a module scenario: everything of `VisiwiseWebhookModule.forRoot()` but the secret,
 * which the bench generates. Plain data only: it travels to the server child as JSON.
 */
export type WebhookBenchOptions = Omit<VisiwiseWebhookModuleOptions, 'secret'>;

/**
 * What a server child is started with (JSON in the `BENCH_SERVER` environment variable). The
 * platform comes from `HTTP_ADAPTER`, as for the sample app.
 */
export interface BenchServerConfig {
  readonly app: BenchAppKind;
  readonly secret: string;
  /** Spread into `VisiwiseWebhookModule.forRoot()` (module apps only). */
  readonly moduleOptions: WebhookBenchOptions;
  /** Route of the endpoint, the same for both kinds of app. */
  readonly path: string;
}

export type ServerCommand =
  | { readonly type: 'measure-start' }
  /**
   * Ends the window once `expectHandled` deliveries reached the handlers (or after the timeout):
   * in modes that answer before the handlers run, the window must include their work.
   */
  | {
      readonly type: 'measure-stop';
      readonly expectHandled: number;
      readonly drainTimeoutMillis: number;
    }
  /** Runs the garbage collector (the child is started with --expose-gc) and reports memory. */
  | { readonly type: 'snapshot' }
  | { readonly type: 'profile-start'; readonly samplingIntervalMicros: number }
  | { readonly type: 'profile-stop'; readonly file: string }
  | { readonly type: 'shutdown' };

/** What one server did between `measure-start` and `measure-stop`. */
export interface ServerMeasurement {
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
  /** Deliveries that reached the route handler (bare) or the no-op event handler (module). */
  readonly handled: number;
  readonly elapsedMillis: number;
  /** How long the server waited after the load for the handlers to catch up. */
  readonly drainMillis: number;
  /** The kernel's high-water mark of RSS since the process started (`resourceUsage().maxRSS`). */
  readonly maxRssBytes: number;
}

export interface MemorySnapshot {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Heap memory V8 has committed (used or not). */
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
  readonly arrayBuffersBytes: number;
  readonly handled: number;
}

export type ServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'measure-started' }
  | { readonly type: 'measured'; readonly measurement: ServerMeasurement }
  | { readonly type: 'snapshot'; readonly snapshot: MemorySnapshot }
  | { readonly type: 'profile-started' }
  | { readonly type: 'profile-stopped'; readonly file: string }
  | { readonly type: 'shut-down' }
  | { readonly type: 'failed'; readonly message: string };

/**
 * How the load generator signs requests:
 * - `pool`: every request of the run is signed in advance (unique svix-id each), so the client
 *   only sends bytes while it is measured;
 * - `on-the-fly`: signed as it is sent (the soak, whose request count is too large to precompute).
 */
export type SigningMode = 'pool' | 'on-the-fly';

export interface LoadPlan {
  readonly port: number;
  readonly path: string;
  readonly secret: string;
  readonly bodyBytes: number;
  readonly connections: number;
  /** Run for this many seconds... */
  readonly durationSeconds?: number;
  /** ...or send exactly this many requests. */
  readonly amount?: number;
  /** Requests per second across all connections (open pacing); unset: as fast as answered. */
  readonly overallRate?: number;
  readonly signing: SigningMode;
  /** Signed requests to precompute for `pool` signing. */
  readonly poolSize: number;
  /** Makes ids unique across runs: `msg_<idPrefix><counter>`. */
  readonly idPrefix: string;
}

export type ClientCommand =
  | { readonly type: 'prepare'; readonly plan: LoadPlan }
  | { readonly type: 'run' }
  | { readonly type: 'shutdown' };

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

export interface LoadResult {
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly elapsedSeconds: number;
  readonly requestsPerSecond: number;
  /** Milliseconds, exact (measured per response, not from a histogram). */
  readonly latencyMillis: LatencySummary;
  /** Requests signed while the run was going on, because the pool was smaller than the run. */
  readonly signedDuringRun: number;
}

export type ClientReply =
  | { readonly type: 'ready' }
  | { readonly type: 'prepared'; readonly poolSize: number; readonly millis: number }
  | { readonly type: 'ran'; readonly result: LoadResult }
  | { readonly type: 'shut-down' }
  | { readonly type: 'failed'; readonly message: string };

/** What the verify micro-benchmark is asked to do (JSON in `BENCH_MICRO`). */
export interface MicroPlan {
  readonly sizes: readonly number[];
  readonly rounds: number;
  /** Target duration of one timed batch. */
  readonly batchMillis: number;
}

/** One contender at one body size, over all rounds. */
export interface MicroSample {
  readonly name: string;
  readonly sizeBytes: number;
  /** Operations per second of each round, in round order. */
  readonly opsPerSecond: readonly number[];
  readonly iterationsPerBatch: number;
}

export type MicroReply =
  | { readonly type: 'micro-result'; readonly samples: readonly MicroSample[] }
  | { readonly type: 'failed'; readonly message: string };

export type MicroCommand = never;
