import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { VisiwiseDeliveryAnswer } from './delivery-answer.interface';
import { metricClashMessage } from './observability.messages';
import type { ResolvedMetricsOptions } from './observability-options';

/** Label value of `reason` when there is none (accepted and duplicate deliveries). */
export const NO_REASON_LABEL = 'none';

/** The `endpoint` label of a request to a path that is no endpoint (404). */
export const NO_ENDPOINT_LABEL = 'none';

/**
 * The job states reported by `visiwise_webhook_queue_jobs`, by BullMQ's names (pg-boss's created
 * and retrying jobs are `waiting` when due, `delayed` before).
 */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** How long one read of a queue's job counts serves scrapes. */
export const QUEUE_COUNTS_CACHE_MS = 5_000;

/** Longest a scrape waits for a queue's job counts (a scrape must not hang on a Redis outage). */
export const QUEUE_COUNTS_TIMEOUT_MS = 1_000;

/** What a dead-lettered event died of. */
export type VisiwiseDeadLetterCause = 'failed' | 'unparseable' | 'no_handler';

/** Where an event found no handler: at receive time, or in a queue worker. */
export type VisiwiseNoHandlerSite = 'receive' | 'worker';

/** The BullMQ `Queue` surface read by the queue gauge (typed structurally: bullmq is optional). */
export interface VisiwiseQueueCounts {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/** The Redis connection monitor surface read by the `redis_up` gauge. */
export interface VisiwiseRedisState {
  readonly isUp: boolean;
}

/** Stops watching a queue or a Redis monitor. */
export type VisiwiseUnwatch = () => void;

interface CounterChild {
  inc(): void;
}

interface HistogramChild {
  observe(value: number): void;
}

interface HandlerChildren {
  readonly ok: HistogramChild;
  readonly failed: HistogramChild;
  readonly failures: CounterChild;
}

interface WatchedQueue {
  readonly queue: VisiwiseQueueCounts;
  readonly name: string;
  readAt: number;
  reading: Promise<void> | undefined;
}

interface Instruments {
  readonly deliveries: Counter<'outcome' | 'reason' | 'type' | 'endpoint' | 'tenant'>;
  readonly lag: Histogram;
  readonly handlerDuration: Histogram<'type' | 'outcome' | 'endpoint'>;
  readonly handlerFailures: Counter<'type' | 'endpoint'>;
  readonly retries: Counter<'type' | 'endpoint'>;
  readonly deadLetters: Counter<'type' | 'cause' | 'endpoint'>;
  readonly noHandler: Counter<'type' | 'where' | 'endpoint'>;
  readonly queueJobs: Gauge<'queue' | 'state'>;
}

/*
 * The queue and Redis gauges read their sources when scraped. Two module instances (or a test app
 * built twice in one process) share one gauge on one registry, and its `collect` was bound when the
 * first one created it: so the sources live with the gauge, not with the instance.
 */
const watchedQueues = new WeakMap<object, Set<WatchedQueue>>();
const watchedRedis = new WeakMap<object, Set<VisiwiseRedisState>>();

function setOf<T>(map: WeakMap<object, Set<T>>, key: object): Set<T> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

function sameLabels(metric: unknown, labelNames: readonly string[]): boolean {
  const existing = (metric as { labelNames?: unknown }).labelNames;
  return (
    Array.isArray(existing) &&
    existing.length === labelNames.length &&
    labelNames.every((name) => existing.includes(name))
  );
}

/**
 * The metric of that name already on the registry, or a new one. Reusing it is what lets a second
 * module instance start where prom-client would throw "already registered"; a metric of another
 * kind or labels under that name is a clash the user must resolve with a prefix.
 */
function ensureMetric<M extends object>(
  registry: Registry,
  name: string,
  kind: abstract new (...args: never[]) => M,
  labelNames: readonly string[],
  create: () => M,
): M {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) {
    return create();
  }
  if (!(existing instanceof kind) || !sameLabels(existing, labelNames)) {
    throw new VisiwiseConfigurationError(metricClashMessage(name));
  }
  return existing;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

function createInstruments(options: ResolvedMetricsOptions, now: () => number): Instruments {
  const { client, registry, prefix } = options;
  const registers = [registry];
  const name = (suffix: string): string => `${prefix}${suffix}`;

  const counter = <L extends string>(suffix: string, help: string, labelNames: readonly L[]) =>
    ensureMetric(
      registry,
      name(suffix),
      client.Counter<L>,
      labelNames,
      () => new client.Counter<L>({ name: name(suffix), help, labelNames, registers }),
    );
  const histogram = <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ) =>
    ensureMetric(
      registry,
      name(suffix),
      client.Histogram<L>,
      labelNames,
      () =>
        new client.Histogram<L>({
          name: name(suffix),
          help,
          labelNames,
          buckets: [...buckets],
          registers,
        }),
    );

  const queueJobs = ensureMetric(
    registry,
    name('queue_jobs'),
    client.Gauge<'queue' | 'state'>,
    ['queue', 'state'],
    () =>
      new client.Gauge<'queue' | 'state'>({
        name: name('queue_jobs'),
        help: 'Jobs in the queue of queue mode (BullMQ or pg-boss), by state (read at most every 5 s, on scrape).',
        labelNames: ['queue', 'state'],
        registers,
        async collect() {
          await collectQueues(this, now);
        },
      }),
  );

  return {
    deliveries: counter(
      'deliveries_total',
      'Requests to the webhook endpoints, by outcome (accepted, duplicate, unparseable, rejected), ' +
        "reason (rejection reason or envelope problem; 'none' otherwise), event type and endpoint" +
        (options.tenantLabel ? ' and tenant.' : '.'),
      options.tenantLabel
        ? ['outcome', 'reason', 'type', 'endpoint', 'tenant']
        : ['outcome', 'reason', 'type', 'endpoint'],
    ),
    lag: histogram(
      'delivery_lag_seconds',
      'Receive time minus the signed svix-timestamp of verified deliveries (Svix retries, clock skew).',
      [],
      options.deliveryLagBuckets,
    ),
    handlerDuration: histogram(
      'handler_duration_seconds',
      "Duration of one run of an event's handlers, by event type, outcome (ok, failed) and endpoint.",
      ['type', 'outcome', 'endpoint'],
      options.handlerDurationBuckets,
    ),
    handlerFailures: counter(
      'handler_failures_total',
      "Runs of an event's handlers that failed, by event type and endpoint.",
      ['type', 'endpoint'],
    ),
    retries: counter(
      'retries_total',
      'Queued events scheduled for another attempt after their handlers failed, by event type and endpoint.',
      ['type', 'endpoint'],
    ),
    deadLetters: counter(
      'dead_letters_total',
      'Events put in the dead letters, by event type, cause (failed, unparseable, no_handler) and endpoint.',
      ['type', 'cause', 'endpoint'],
    ),
    noHandler: counter(
      'no_handler_total',
      'Events for which no handler is registered, by event type, where (receive, worker) and endpoint.',
      ['type', 'where', 'endpoint'],
    ),
    queueJobs,
  };
}

async function readQueue(gauge: Gauge<'queue' | 'state'>, watched: WatchedQueue): Promise<void> {
  try {
    const counts = await withTimeout(
      watched.queue.getJobCounts(...QUEUE_JOB_STATES),
      QUEUE_COUNTS_TIMEOUT_MS,
    );
    for (const state of QUEUE_JOB_STATES) {
      gauge.set({ queue: watched.name, state }, counts[state] ?? 0);
    }
  } catch {
    // Unknown is not zero: the series go away until Redis answers again (redis_up says why).
    for (const state of QUEUE_JOB_STATES) {
      gauge.remove({ queue: watched.name, state });
    }
  }
}

async function collectQueues(gauge: Gauge<'queue' | 'state'>, now: () => number): Promise<void> {
  const queues = watchedQueues.get(gauge);
  if (queues === undefined) {
    return;
  }
  const reads: Promise<void>[] = [];
  for (const watched of queues) {
    const time = now();
    if (watched.reading === undefined && time - watched.readAt >= QUEUE_COUNTS_CACHE_MS) {
      watched.readAt = time;
      watched.reading = readQueue(gauge, watched).finally(() => {
        watched.reading = undefined;
      });
    }
    if (watched.reading !== undefined) {
      reads.push(watched.reading);
    }
  }
  await Promise.all(reads);
}

/**
 * The Prometheus metrics of the webhook module. Every method is cheap on the request path: label
 * children are created once per label combination and cached, so recording a delivery is a few Map
 * lookups, one counter increment and at most one histogram observation. A disabled instance does
 * nothing.
 */
export class VisiwiseMetrics {
  // endpoint -> outcome -> reason -> type (tenants, when labelled, are not cached: unbounded).
  private readonly deliveryChildren = new Map<
    string,
    Map<string, Map<string, Map<string, CounterChild>>>
  >();
  // endpoint -> type
  private readonly handlerChildren = new Map<string, Map<string, HandlerChildren>>();
  private readonly unwatchers = new Set<VisiwiseUnwatch>();
  private redisUp: Gauge | undefined;

  private constructor(
    private readonly instruments: Instruments | undefined,
    private readonly options: ResolvedMetricsOptions | undefined,
    private readonly now: () => number,
  ) {}

  /**
   * Registers the metrics on the configured registry (reusing those already there) and returns
   * the recorder. `now` is the clock of the lag and the queue read cache (for tests).
   */
  static create(options: ResolvedMetricsOptions, now: () => number = Date.now): VisiwiseMetrics {
    return new VisiwiseMetrics(createInstruments(options, now), options, now);
  }

  /** Metrics that record nothing. */
  static disabled(): VisiwiseMetrics {
    return new VisiwiseMetrics(undefined, undefined, Date.now);
  }

  /** Whether this instance records anything. */
  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  /** Counts one answered request and, when its timestamp verified, observes its lag. */
  delivered(answer: VisiwiseDeliveryAnswer, typeLabel: string): void {
    const instruments = this.instruments;
    if (instruments === undefined) {
      return;
    }
    const endpoint = answer.endpoint ?? NO_ENDPOINT_LABEL;
    const reason = answer.reason ?? NO_REASON_LABEL;
    if (this.options?.tenantLabel === true) {
      instruments.deliveries.inc({
        outcome: answer.outcome,
        reason,
        type: typeLabel,
        endpoint,
        tenant: answer.tenant ?? '',
      });
    } else {
      this.deliveryChild(instruments, endpoint, answer.outcome, reason, typeLabel).inc();
    }
    if (answer.signedAt !== undefined) {
      // A timestamp ahead of our clock (skew within the tolerance) is lag 0: a histogram's sum
      // must only grow, and a skew beyond the tolerance shows as timestamp_too_new rejections.
      instruments.lag.observe(Math.max(0, (this.now() - answer.signedAt.getTime()) / 1000));
    }
  }

  /** Records one run of an event's handlers. */
  handled(typeLabel: string, endpoint: string, ok: boolean, seconds: number): void {
    const instruments = this.instruments;
    if (instruments === undefined) {
      return;
    }
    let byType = this.handlerChildren.get(endpoint);
    if (byType === undefined) {
      byType = new Map();
      this.handlerChildren.set(endpoint, byType);
    }
    let children = byType.get(typeLabel);
    if (children === undefined) {
      children = {
        ok: instruments.handlerDuration.labels(typeLabel, 'ok', endpoint),
        failed: instruments.handlerDuration.labels(typeLabel, 'failed', endpoint),
        failures: instruments.handlerFailures.labels(typeLabel, endpoint),
      };
      byType.set(typeLabel, children);
    }
    if (ok) {
      children.ok.observe(seconds);
    } else {
      children.failed.observe(seconds);
      children.failures.inc();
    }
  }

  /** Counts a queued event scheduled for another attempt. */
  retried(typeLabel: string, endpoint: string): void {
    this.instruments?.retries.inc({ type: typeLabel, endpoint });
  }

  /** Counts an event put in the dead letters. */
  deadLettered(typeLabel: string, cause: VisiwiseDeadLetterCause, endpoint: string): void {
    this.instruments?.deadLetters.inc({ type: typeLabel, cause, endpoint });
  }

  /** Counts an event no handler subscribes to. */
  noHandler(typeLabel: string, where: VisiwiseNoHandlerSite, endpoint: string): void {
    this.instruments?.noHandler.inc({ type: typeLabel, where, endpoint });
  }

  /** Reports a queue's job counts on `queue_jobs`, read on scrape, until unwatched or closed. */
  watchQueue(queue: VisiwiseQueueCounts, queueName: string): VisiwiseUnwatch {
    const instruments = this.instruments;
    if (instruments === undefined) {
      return () => undefined;
    }
    const gauge = instruments.queueJobs;
    const watched: WatchedQueue = { queue, name: queueName, readAt: -Infinity, reading: undefined };
    setOf(watchedQueues, gauge).add(watched);
    return this.keep(() => {
      watchedQueues.get(gauge)?.delete(watched);
      for (const state of QUEUE_JOB_STATES) {
        gauge.remove({ queue: queueName, state });
      }
    });
  }

  /**
   * Reports a Redis connection on `redis_up` (1 up, 0 down; 0 when any watched connection is
   * down), read on scrape. The gauge is registered on the first call, so that an application
   * without Redis does not show a Redis that is "down".
   */
  watchRedis(monitor: VisiwiseRedisState): VisiwiseUnwatch {
    const options = this.options;
    if (options === undefined) {
      return () => undefined;
    }
    const gauge = (this.redisUp ??= this.createRedisGauge(options));
    setOf(watchedRedis, gauge).add(monitor);
    return this.keep(() => {
      watchedRedis.get(gauge)?.delete(monitor);
    });
  }

  /** Stops every watch of this instance (on module shutdown: its queue and Redis are closing). */
  close(): void {
    for (const unwatch of [...this.unwatchers]) {
      unwatch();
    }
  }

  private keep(unwatch: VisiwiseUnwatch): VisiwiseUnwatch {
    const once = (): void => {
      if (this.unwatchers.delete(once)) {
        unwatch();
      }
    };
    this.unwatchers.add(once);
    return once;
  }

  private createRedisGauge(options: ResolvedMetricsOptions): Gauge {
    const { client, registry, prefix } = options;
    const name = `${prefix}redis_up`;
    return ensureMetric(
      registry,
      name,
      client.Gauge,
      [],
      () =>
        new client.Gauge({
          name,
          help: 'Whether the Redis connection of the webhook module is up (1) or down (0).',
          registers: [registry],
          collect() {
            const monitors = watchedRedis.get(this);
            if (monitors !== undefined && monitors.size > 0) {
              this.set([...monitors].every((monitor) => monitor.isUp) ? 1 : 0);
            }
          },
        }),
    );
  }

  private deliveryChild(
    instruments: Instruments,
    endpoint: string,
    outcome: string,
    reason: string,
    type: string,
  ): CounterChild {
    // Nested maps instead of a joined key: no string is built per request.
    let byOutcome = this.deliveryChildren.get(endpoint);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.deliveryChildren.set(endpoint, byOutcome);
    }
    let byReason = byOutcome.get(outcome);
    if (byReason === undefined) {
      byReason = new Map();
      byOutcome.set(outcome, byReason);
    }
    let byType = byReason.get(reason);
    if (byType === undefined) {
      byType = new Map();
      byReason.set(reason, byType);
    }
    let child = byType.get(type);
    if (child === undefined) {
      child = instruments.deliveries.labels(outcome, reason, type, endpoint);
      byType.set(type, child);
    }
    return child;
  }
}
