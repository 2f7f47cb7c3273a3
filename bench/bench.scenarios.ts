import type { AdapterName, BenchAppKind, WebhookBenchOptions } from './lib/bench-protocol';
import { KIB } from './lib/payload';

/**
 * One server configuration measured over HTTP. All scenarios of a run stay up and are measured in
 * interleaved rounds (A B C ... A B C ...), so that their ratios come from the same minutes.
 *
 * A new scenario is one entry in `SCENARIOS`: e.g. the module with metrics on is
 * `{ name: 'module-metrics', app: 'module', module: () => ({ metrics: ... }) }`; an app of a new
 * shape (100 endpoints) is one more `BenchAppKind` with its factory in apps/bench-server.ts.
 */
export interface Scenario {
  /** Row label, and what the targets refer to. */
  readonly name: string;
  readonly description: string;
  readonly app: BenchAppKind;
  /**
   * `VisiwiseWebhookModule.forRoot()` options (module apps; the bench adds the secret). Gets a name
   * unique to the server, for what servers must not share (a queue: another server's worker would
   * take its jobs).
   */
  readonly module?: (instance: string) => WebhookBenchOptions;
  /**
   * `separate`: the queue's worker runs in a process of its own (a Nest application context with
   * the same options and `queue.worker: true`; the receiving server gets `queue.worker: false`).
   */
  readonly worker?: 'separate';
  /** @default both */
  readonly adapters?: readonly AdapterName[];
  readonly requiresRedis?: boolean;
  /** Whether `--quick` measures it. @default true */
  readonly quick?: boolean;
}

/** Keys of the Redis scenarios live under this prefix; the runner deletes them at the end. */
export const REDIS_KEY_PREFIX = 'visiwise-bench:';

/** Database 15 unless told otherwise: a run never meets the tests' keys (database 0). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/15';

const redisStore = (instance: string): WebhookBenchOptions => ({
  redis: REDIS_URL,
  idempotency: { store: 'redis', keyPrefix: `${REDIS_KEY_PREFIX}${instance}:`, ttlSeconds: 300 },
});

const queued = (instance: string): WebhookBenchOptions => ({
  ...redisStore(instance),
  delivery: 'queue',
  queue: {
    name: `visiwise-bench-${instance}`,
    prefix: REDIS_KEY_PREFIX.slice(0, -1),
    keepCompletedSeconds: 60,
  },
});

export const SCENARIOS: readonly Scenario[] = [
  { name: 'bare', app: 'bare', description: 'bare Nest POST route, rawBody: true' },
  {
    name: 'guard',
    app: 'guard',
    description: 'the bare route behind a guard doing one HMAC + timingSafeEqual (the reference)',
  },
  {
    name: 'module',
    app: 'module',
    module: () => ({}),
    description: 'the module with its defaults: inline delivery, memory store, no-op handler',
  },
  {
    name: 'queue',
    app: 'module',
    module: queued,
    adapters: ['fastify'],
    requiresRedis: true,
    description: 'delivery: queue (BullMQ, Redis store), worker in the same process',
  },
  {
    name: 'queue-split',
    app: 'module',
    module: queued,
    worker: 'separate',
    adapters: ['fastify'],
    requiresRedis: true,
    description: 'delivery: queue, worker in another process (the production shape)',
  },
  {
    name: 'background',
    app: 'module',
    module: () => ({ delivery: 'background' }),
    quick: false,
    description: 'delivery: background (answered before the handler runs), memory store',
  },
];

/** The scenarios the fixed-rate latency phase compares, on each adapter. */
export const LATENCY_PAIR = ['bare', 'module'] as const;

/** How much of everything a run measures. */
export interface BenchPlan {
  readonly micro: {
    readonly sizes: readonly number[];
    readonly rounds: number;
    readonly millis: number;
  };
  readonly http: {
    readonly bodyBytes: number;
    readonly connections: number;
    readonly rounds: number;
    readonly seconds: number;
    readonly warmupSeconds: number;
  };
  /** Open-loop load at `fraction` of the bare route's median req/s from the HTTP phase. */
  readonly latency: {
    readonly rounds: number;
    readonly seconds: number;
    readonly fraction: number;
  };
  /** Distinct deliveries to the module on Fastify with its memory store capped at `storeCap`. */
  readonly soak: {
    readonly deliveries: number;
    readonly checkpoints: number;
    readonly storeCap: number;
  };
}

export const QUICK_PLAN: BenchPlan = {
  micro: { sizes: [KIB, 256 * KIB], rounds: 5, millis: 100 },
  http: { bodyBytes: KIB, connections: 10, rounds: 3, seconds: 3, warmupSeconds: 2 },
  latency: { rounds: 2, seconds: 3, fraction: 0.5 },
  soak: { deliveries: 40_000, checkpoints: 8, storeCap: 10_000 },
};

export const FULL_PLAN: BenchPlan = {
  micro: { sizes: [KIB, 16 * KIB, 256 * KIB], rounds: 15, millis: 200 },
  http: { bodyBytes: KIB, connections: 10, rounds: 7, seconds: 5, warmupSeconds: 3 },
  latency: { rounds: 5, seconds: 5, fraction: 0.5 },
  soak: { deliveries: 600_000, checkpoints: 12, storeCap: 100_000 },
};
