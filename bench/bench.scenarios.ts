import type { AdapterName, BenchAppKind, WebhookBenchOptions } from './lib/bench-protocol';
import { KIB } from './lib/payload';

/** A service a scenario needs; the scenario is skipped (and reported so) when it is unreachable. */
export type BenchService = 'redis';

/**
 * One server configuration measured end to end over HTTP, on every adapter. All scenarios of a run
 * are measured in interleaved rounds (A B C ... A B C ...), so their ratios come from one run.
 */
export interface HttpScenario {
  /** Row label, and the key in latest.json. */
  readonly name: string;
  readonly app: BenchAppKind;
  /**
   * `VisiwiseWebhookModule.forRoot()` options (module apps); the bench adds the secret. A function
   * gets a name unique to the server process, for what must not be shared between the servers of
   * a run (a queue: another server's worker would take the jobs).
   */
  readonly moduleOptions?: WebhookBenchOptions | ((instance: string) => WebhookBenchOptions);
  readonly description: string;
  readonly requires?: readonly BenchService[];
  /** Whether `--quick` runs measure it. @default true */
  readonly quick?: boolean;
}

/**
 * Redis of the scenarios that need one: database 15 by default, every key under REDIS_KEY_PREFIX,
 * short-lived and deleted after the HTTP phase, so that a run neither meets nor leaves behind
 * anything of the tests' (database 0) or an application's.
 */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/15';

/** Every Redis key of the bench starts with it; the runner deletes them after the HTTP phase. */
export const REDIS_KEY_PREFIX = 'visiwise-bench:';

// Short lives: a full run stores a few hundred thousand deliveries, and none needs to outlive it.
const benchRedis = (instance: string): WebhookBenchOptions => ({
  redis: REDIS_URL,
  idempotency: {
    store: 'redis',
    keyPrefix: `${REDIS_KEY_PREFIX}${instance}:`,
    ttlSeconds: 120,
    leaseSeconds: 60,
  },
});

/** The baseline every endpoint target is a ratio against. */
export const BASELINE_SCENARIO = 'bare';

/**
 * The bare route plus the few lines of Svix verification an application would write itself: what
 * a signature check alone costs through a Nest guard, the part of the targets' budget no receiver
 * can avoid.
 */
export const REFERENCE_SCENARIO = 'guard';

/**
 * The scenario the endpoint targets apply to ("verify + parse + dedupe + emit + no-op
 * handler, inline mode, memory store"): the module with its defaults, which are exactly that.
 */
export const SUBJECT_SCENARIO = 'module';

export const HTTP_SCENARIOS: readonly HttpScenario[] = [
  {
    name: 'bare',
    app: 'bare',
    description: 'bare Nest POST route with rawBody: true (baseline)',
  },
  {
    name: 'guard',
    app: 'guard',
    description:
      'the bare route behind a minimal verifying guard (HMAC only): the reference the targets are weighed against',
  },
  {
    name: 'module',
    app: 'module',
    moduleOptions: {},
    description: 'the module with its defaults: inline delivery, memory idempotency store',
  },
  {
    name: 'background',
    app: 'module',
    moduleOptions: { delivery: 'background' },
    description: 'acknowledged before the handlers run; memory idempotency store',
    // Left to full runs so that the quick one keeps the reference row within its two minutes.
    quick: false,
  },
  // Every row runs on both adapters and adds about 11 s per adapter to a run: the Redis ones are
  // left to full runs (`quick: false`).
  {
    name: 'inline-redis',
    app: 'module',
    moduleOptions: (instance) => ({ ...benchRedis(instance), delivery: 'inline' }),
    description: 'inline delivery, Redis idempotency store',
    requires: ['redis'],
    quick: false,
  },
  {
    name: 'queue',
    app: 'module',
    moduleOptions: (instance) => ({
      ...benchRedis(instance),
      delivery: 'queue',
      queue: {
        name: `visiwise-bench-${instance}`,
        prefix: REDIS_KEY_PREFIX.slice(0, -1),
        keepCompletedSeconds: 10,
      },
    }),
    description: 'acknowledged once stored as a BullMQ job; a worker in the same process',
    requires: ['redis'],
    quick: false,
  },
];

export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

/**
 * The soak: distinct deliveries through the module with its memory idempotency store capped at
 * `storeCap` ids (least recently used forgotten first), memory measured after a full GC at
 * checkpoints: heap and RSS must grow while the store fills and stop growing once it is full.
 * Fastify, because it pushes the most deliveries through in the time.
 */
export function soakScenario(storeCap: number): HttpScenario {
  return {
    name: 'module',
    app: 'module',
    moduleOptions: { idempotency: { store: 'memory', maxEntries: storeCap } },
    description: `defaults, memory store capped at ${String(storeCap)} ids`,
  };
}

export const SOAK_ADAPTER: AdapterName = 'fastify';

/** How much of everything a run measures. */
export interface BenchPlan {
  readonly micro: {
    readonly sizes: readonly number[];
    readonly rounds: number;
    readonly batchMillis: number;
  };
  readonly http: {
    readonly bodySizes: readonly number[];
    readonly rounds: number;
    readonly durationSeconds: number;
    readonly warmupSeconds: number;
    readonly connections: number;
  };
  readonly soak: {
    readonly deliveries: number;
    readonly checkpoints: number;
    readonly connections: number;
    /** `idempotency.maxEntries` of the soaked module. */
    readonly storeCap: number;
  };
  readonly profile: {
    readonly bodyBytes: number;
    readonly durationSeconds: number;
    readonly samplingIntervalMicros: number;
  };
  /** Latency at a fixed request rate, a fraction of the bare route's measured capacity. */
  readonly fixedRate: {
    readonly bodyBytes: number;
    readonly rounds: number;
    readonly durationSeconds: number;
    readonly connections: number;
    /** Offered rate = this fraction of the bare route's median req/s in the HTTP phase. */
    readonly loadFraction: number;
    /** Offered rate when the HTTP phase did not run. */
    readonly fallbackRate: number;
  };
  /** Instruction counts under callgrind (`--instructions`): fixed request counts, not durations. */
  readonly instructions: {
    readonly bodyBytes: number;
    readonly warmupRequests: number;
    readonly requests: number;
    readonly connections: number;
  };
}

/** Under two minutes on 2 cores, build included. */
export const QUICK_PLAN: BenchPlan = {
  micro: { sizes: [KIB, 16 * KIB, 256 * KIB], rounds: 9, batchMillis: 30 },
  http: { bodySizes: [KIB], rounds: 3, durationSeconds: 3, warmupSeconds: 2, connections: 10 },
  soak: { deliveries: 40_000, checkpoints: 8, connections: 10, storeCap: 10_000 },
  profile: { bodyBytes: KIB, durationSeconds: 5, samplingIntervalMicros: 200 },
  fixedRate: {
    bodyBytes: KIB,
    rounds: 2,
    durationSeconds: 3,
    connections: 10,
    loadFraction: 0.5,
    fallbackRate: 1_000,
  },
  instructions: { bodyBytes: KIB, warmupRequests: 2_000, requests: 1_000, connections: 4 },
};

export const FULL_PLAN: BenchPlan = {
  micro: { sizes: [KIB, 16 * KIB, 256 * KIB], rounds: 25, batchMillis: 60 },
  http: {
    bodySizes: [KIB, 16 * KIB],
    rounds: 6,
    durationSeconds: 5,
    warmupSeconds: 3,
    connections: 10,
  },
  soak: { deliveries: 1_000_000, checkpoints: 20, connections: 10, storeCap: 100_000 },
  profile: { bodyBytes: KIB, durationSeconds: 10, samplingIntervalMicros: 200 },
  fixedRate: {
    bodyBytes: KIB,
    rounds: 4,
    durationSeconds: 5,
    connections: 10,
    loadFraction: 0.5,
    fallbackRate: 1_000,
  },
  instructions: { bodyBytes: KIB, warmupRequests: 5_000, requests: 3_000, connections: 4 },
};
