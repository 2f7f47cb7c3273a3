import { KIB } from './lib/payload';
import type { AdapterName, BenchAppKind, WebhookBenchOptions } from './lib/results';

/** One server configuration measured over HTTP; all of a run's stay up until its end. */
export interface Scenario {
  readonly name: string;
  readonly app: BenchAppKind;
  /**
   * `forRoot()` options (the bench adds the secret), given a name unique to the server for what
   * servers must not share (a queue: another server's worker would take its jobs).
   */
  readonly module?: (instance: string) => WebhookBenchOptions;
  /** Environment of the server process (the `sample` app reads its configuration there). */
  readonly env?: (instance: string, secret: string) => Record<string, string>;
  /** `separate`: the queue's worker in a process of its own (`queue.worker: true` there). */
  readonly worker?: 'separate';
  /** @default both */
  readonly adapters?: readonly AdapterName[];
  readonly requires?: 'redis' | 'postgres';
  /** Whether `--quick` measures it. @default true */
  readonly quick?: boolean;
  /** Appended to the webhook path the load posts to (a named endpoint's segment). */
  readonly route?: string;
  /** Measured again at one fixed rate, the same for all: p99 and CPU at the same offered load. */
  readonly latency?: true;
  /** Measured again at the plan's `rate` phase: CPU at that load, and whether it is sustained. */
  readonly atRate?: true;
}

/** Database 15 unless told otherwise: a run never meets the tests' keys (database 0). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/15';
/** Keys of the Redis scenarios live under this prefix; the runner deletes them at the end. */
export const REDIS_KEY_PREFIX = 'visiwise-bench:';
export const DATABASE_URL =
  process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Each PostgreSQL server gets a schema of its own under this prefix; the runner drops them all. */
export const PG_SCHEMA_PREFIX = 'visiwise_bench_';
/** Ids the `store-capped` scenario remembers: fewer than its warm-up delivers. */
export const STORE_CAP = 1_000;

const schema = (name: string): string => PG_SCHEMA_PREFIX + name.replace(/[^a-z0-9]/g, '_');
const database = (name: string) => ({ url: DATABASE_URL, schema: schema(name), migrate: true });
// Stated, so that the figures include them (prom-client is installed; no OTel SDK).
const TELEMETRY = { metrics: true, tracing: true } as const;
// BullMQ, keys under the bench's prefix, short-lived; a queue of its own per server.
const BULLMQ = {
  app: 'module',
  module: (instance: string): WebhookBenchOptions => ({
    ...TELEMETRY,
    redis: REDIS_URL,
    delivery: 'queue',
    queue: { name: instance, prefix: REDIS_KEY_PREFIX.slice(0, -1), keepCompletedSeconds: 60 },
  }),
  adapters: ['fastify'],
  requires: 'redis',
} as const;
// e0 ... e99, each with the module's secret (the bench's).
const HUNDRED_ENDPOINTS = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`e${i}`, {}]));

export const SCENARIOS: readonly Scenario[] = [
  // A bare Nest POST route in an app with rawBody: true.
  { name: 'bare', app: 'bare', latency: true },
  // The reference: the bare route behind a guard doing one HMAC + timingSafeEqual.
  { name: 'guard', app: 'guard', latency: true },
  // The module with its defaults: inline delivery, memory store, one no-op handler.
  { name: 'module', app: 'module', module: () => TELEMETRY, latency: true, atRate: true },
  // The same without metrics and tracing: what the telemetry itself costs (reported, not judged).
  { name: 'module-quiet', app: 'module', module: () => ({ metrics: false, tracing: false }) },
  // The worker in the same process.
  { name: 'queue', ...BULLMQ },
  // The queue on PostgreSQL (pg-boss), the worker in the same process: beside BullMQ (issue 17).
  {
    name: 'queue-pgboss',
    app: 'module',
    module: (instance) => ({
      ...TELEMETRY,
      delivery: 'queue',
      database: {
        ...database(instance),
        // pg-boss's own tables; under the bench's prefix too, so the run drops them.
        queueSchema: `${PG_SCHEMA_PREFIX}boss_${process.pid}`,
      },
      idempotency: { store: 'memory' },
      queue: { name: instance, keepCompletedSeconds: 60, pollingIntervalMs: 500 },
    }),
    adapters: ['fastify'],
    requires: 'postgres',
  },
  // The production shape: the worker in a process of its own.
  { name: 'queue-split', ...BULLMQ, worker: 'separate' },
  // Every delivery recorded in PostgreSQL before its answer, its outcome after (issue 17).
  {
    name: 'inbox',
    app: 'module',
    module: (instance) => ({
      ...TELEMETRY,
      database: database(instance),
      inbox: true,
      idempotency: { store: 'memory' },
    }),
    requires: 'postgres',
    atRate: true,
  },
  // The sample app as `npm start` runs it with DATABASE_URL: inbox on, PostgreSQL claims.
  {
    name: 'sample-inbox',
    app: 'sample',
    env: (instance, secret) => ({
      VISIWISE_WEBHOOK_SECRET: secret,
      DATABASE_URL,
      VISIWISE_DATABASE_SCHEMA: schema(instance),
      REDIS_URL: '',
    }),
    requires: 'postgres',
    atRate: true,
  },
  // A hundred named endpoints in one app, the load on the last one declared: the route lookup is
  // a Map get, so this must cost what the single endpoint costs (issue 16).
  {
    name: 'endpoints-100',
    app: 'module',
    module: () => ({ ...TELEMETRY, endpoints: HUNDRED_ENDPOINTS }),
    route: '/e99',
    latency: true,
  },
  // The memory store kept small, so that it is full after the warm-up: its RSS must stay flat.
  {
    name: 'store-capped',
    app: 'module',
    module: () => ({ idempotency: { store: 'memory', maxEntries: STORE_CAP } }),
    adapters: ['fastify'],
  },
  // Answered before the handler runs.
  { name: 'background', app: 'module', module: () => ({ delivery: 'background' }), quick: false },
];

/**
 * How much a run measures. http: closed-loop rounds; latency: open-loop at `fraction` of the bare
 * route's req/s; rate: open-loop at `perSecond`, with the connections a server with some latency
 * needs to be offered that rate (a closed loop of 10 measures the latency, not the capacity).
 */
export const QUICK_PLAN = {
  micro: { sizes: [KIB, 256 * KIB], rounds: 5, millis: 100 },
  http: { bodyBytes: KIB, connections: 10, rounds: 3, seconds: 3, warmupSeconds: 2 },
  latency: { rounds: 2, seconds: 3, fraction: 0.5 },
  rate: { rounds: 2, seconds: 3, perSecond: 1_050, connections: 32 },
};

export type BenchPlan = typeof QUICK_PLAN;

export const FULL_PLAN: BenchPlan = {
  micro: { sizes: [KIB, 16 * KIB, 256 * KIB], rounds: 15, millis: 200 },
  http: { bodyBytes: KIB, connections: 10, rounds: 7, seconds: 5, warmupSeconds: 3 },
  latency: { rounds: 5, seconds: 5, fraction: 0.5 },
  rate: { rounds: 5, seconds: 5, perSecond: 1_050, connections: 32 },
};
