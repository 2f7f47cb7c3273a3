import * as client from 'prom-client';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { VisiwiseDeliveryAnswer } from './delivery-answer.interface';
import { metricClashMessage } from './observability.messages';
import { resolveObservabilityOptions } from './observability-options';
import type { ResolvedMetricsOptions } from './observability-options';
import {
  QUEUE_COUNTS_CACHE_MS,
  QUEUE_COUNTS_TIMEOUT_MS,
  VisiwiseMetrics,
} from './visiwise-metrics';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition (the subset prom-client writes). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[pair[1]!] = pair[2]!;
      }
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

async function value(
  registry: client.Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const wanted = Object.entries(labels);
  const found = parse(await registry.metrics()).filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === wanted.length &&
      wanted.every(([key, val]) => sample.labels[key] === val),
  );
  if (found.length > 1) throw new Error(`ambiguous: ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function metricsOn(registry: client.Registry, extra: Record<string, unknown> = {}) {
  const resolved = resolveObservabilityOptions({ metrics: { registry, ...extra }, tracing: false });
  return resolved.metrics as ResolvedMetricsOptions;
}

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

function answer(overrides: Partial<VisiwiseDeliveryAnswer>): VisiwiseDeliveryAnswer {
  return {
    endpoint: 'default',
    tenant: undefined,
    outcome: 'accepted',
    reason: undefined,
    status: 200,
    deliveryId: 'msg_1',
    type: 'shipment.tracked',
    signedAt: new Date(NOW - 10_000),
    ...overrides,
  };
}

describe('VisiwiseMetrics', () => {
  let registry: client.Registry;
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    registry = new client.Registry();
    now = NOW;
  });

  it('counts deliveries by outcome, reason and type, with reason "none" when there is none', async () => {
    const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
    metrics.delivered(answer({}), 'shipment.tracked');
    metrics.delivered(answer({}), 'shipment.tracked');
    metrics.delivered(answer({ outcome: 'duplicate' }), 'shipment.tracked');
    metrics.delivered(
      answer({ outcome: 'rejected', reason: 'invalid_signature', status: 401, type: undefined }),
      'none',
    );

    const name = 'visiwise_webhook_deliveries_total';
    expect(
      await value(registry, name, {
        outcome: 'accepted',
        reason: 'none',
        type: 'shipment.tracked',
        endpoint: 'default',
      }),
    ).toBe(2);
    expect(
      await value(registry, name, {
        outcome: 'duplicate',
        reason: 'none',
        type: 'shipment.tracked',
        endpoint: 'default',
      }),
    ).toBe(1);
    expect(
      await value(registry, name, {
        outcome: 'rejected',
        reason: 'invalid_signature',
        type: 'none',
        endpoint: 'default',
      }),
    ).toBe(1);
    expect(await registry.metrics()).toContain(
      '# HELP visiwise_webhook_deliveries_total Requests to the webhook endpoint',
    );
    expect(await registry.metrics()).toContain('# TYPE visiwise_webhook_deliveries_total counter');
  });

  it('observes the delivery lag of verified deliveries only, in seconds, never negative', async () => {
    const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
    metrics.delivered(answer({ signedAt: new Date(NOW - 10_000) }), 'shipment.tracked');
    metrics.delivered(answer({ signedAt: new Date(NOW - 7_200_000) }), 'shipment.tracked');
    metrics.delivered(answer({ signedAt: new Date(NOW + 20_000) }), 'shipment.tracked');
    metrics.delivered(answer({ outcome: 'rejected', signedAt: undefined }), 'none');

    const name = 'visiwise_webhook_delivery_lag_seconds';
    expect(await value(registry, `${name}_count`)).toBe(3);
    expect(await value(registry, `${name}_sum`)).toBe(7210);
    expect(await value(registry, `${name}_bucket`, { le: '1' })).toBe(1);
    expect(await value(registry, `${name}_bucket`, { le: '5' })).toBe(1);
    expect(await value(registry, `${name}_bucket`, { le: '30' })).toBe(2);
    expect(await value(registry, `${name}_bucket`, { le: '7200' })).toBe(3);
    expect(await value(registry, `${name}_bucket`, { le: '100000' })).toBe(3);
  });

  it('records handler durations by type and outcome, and counts failures', async () => {
    const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
    metrics.handled('shipment.tracked', 'default', true, 0.02);
    metrics.handled('shipment.tracked', 'default', false, 3);
    metrics.handled('shipment.tracked', 'default', false, 0.001);

    const name = 'visiwise_webhook_handler_duration_seconds';
    expect(
      await value(registry, `${name}_count`, {
        type: 'shipment.tracked',
        outcome: 'ok',
        endpoint: 'default',
      }),
    ).toBe(1);
    expect(
      await value(registry, `${name}_count`, {
        type: 'shipment.tracked',
        outcome: 'failed',
        endpoint: 'default',
      }),
    ).toBe(2);
    expect(
      await value(registry, `${name}_bucket`, {
        type: 'shipment.tracked',
        outcome: 'failed',
        le: '0.005',
        endpoint: 'default',
      }),
    ).toBe(1);
    expect(
      await value(registry, 'visiwise_webhook_handler_failures_total', {
        type: 'shipment.tracked',
        endpoint: 'default',
      }),
    ).toBe(2);
  });

  it('counts retries, dead letters by cause and missing handlers by site', async () => {
    const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
    metrics.retried('shipment.tracked', 'default');
    metrics.deadLettered('none', 'unparseable', 'default');
    metrics.deadLettered('other', 'no_handler', 'default');
    metrics.deadLettered('other', 'no_handler', 'default');
    metrics.noHandler('other', 'worker', 'default');

    expect(
      await value(registry, 'visiwise_webhook_retries_total', {
        type: 'shipment.tracked',
        endpoint: 'default',
      }),
    ).toBe(1);
    expect(
      await value(registry, 'visiwise_webhook_dead_letters_total', {
        type: 'none',
        cause: 'unparseable',
        endpoint: 'default',
      }),
    ).toBe(1);
    expect(
      await value(registry, 'visiwise_webhook_dead_letters_total', {
        type: 'other',
        cause: 'no_handler',
        endpoint: 'default',
      }),
    ).toBe(2);
    expect(
      await value(registry, 'visiwise_webhook_no_handler_total', {
        type: 'other',
        where: 'worker',
        endpoint: 'default',
      }),
    ).toBe(1);
  });

  it('uses the prefix and the buckets it is given', async () => {
    const metrics = VisiwiseMetrics.create(
      metricsOn(registry, { prefix: 'shipping_hooks_', buckets: { deliveryLagSeconds: [2, 4] } }),
      clock,
    );
    metrics.delivered(answer({ signedAt: new Date(NOW - 3_000) }), 'shipment.tracked');

    expect(await value(registry, 'shipping_hooks_delivery_lag_seconds_bucket', { le: '2' })).toBe(
      0,
    );
    expect(await value(registry, 'shipping_hooks_delivery_lag_seconds_bucket', { le: '4' })).toBe(
      1,
    );
    expect(await value(registry, 'visiwise_webhook_delivery_lag_seconds_count')).toBeUndefined();
  });

  it('lets a second instance on the same registry reuse the metrics instead of throwing', async () => {
    const first = VisiwiseMetrics.create(metricsOn(registry), clock);
    const second = VisiwiseMetrics.create(metricsOn(registry), clock);
    first.delivered(answer({}), 'shipment.tracked');
    second.delivered(answer({}), 'shipment.tracked');

    expect(
      await value(registry, 'visiwise_webhook_deliveries_total', {
        outcome: 'accepted',
        reason: 'none',
        type: 'shipment.tracked',
        endpoint: 'default',
      }),
    ).toBe(2);
  });

  it('refuses a registry that holds another kind of metric under one of its names', () => {
    new client.Gauge({
      name: 'visiwise_webhook_retries_total',
      help: 'mine',
      registers: [registry],
    });

    const create = () => VisiwiseMetrics.create(metricsOn(registry), clock);
    expect(create).toThrow(VisiwiseConfigurationError);
    expect(create).toThrow(metricClashMessage('visiwise_webhook_retries_total'));
  });

  it('registers on the default registry when none is given', async () => {
    const resolved = resolveObservabilityOptions({ tracing: false });
    const metrics = VisiwiseMetrics.create(resolved.metrics!, clock);
    try {
      metrics.retried('shipment.tracked', 'default');
      expect(
        await value(client.register, 'visiwise_webhook_retries_total', {
          type: 'shipment.tracked',
          endpoint: 'default',
        }),
      ).toBe(1);
    } finally {
      client.register.clear();
    }
  });

  describe('queue job counts', () => {
    function queue(counts: Record<string, number>) {
      const reads: string[][] = [];
      let failing = false;
      return {
        reads,
        fail: (on: boolean) => {
          failing = on;
        },
        getJobCounts(...types: string[]): Promise<Record<string, number>> {
          reads.push(types);
          return failing
            ? Promise.reject(new Error('Connection is closed.'))
            : Promise.resolve({ ...counts });
        },
      };
    }

    it('reads waiting / active / delayed / failed on scrape, at most once per cache window', async () => {
      const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
      const jobs = queue({ waiting: 7, active: 2, delayed: 1, failed: 3, completed: 99 });
      metrics.watchQueue(jobs, 'visiwise-webhooks');
      expect(jobs.reads).toHaveLength(0);

      const gauge = 'visiwise_webhook_queue_jobs';
      expect(await value(registry, gauge, { queue: 'visiwise-webhooks', state: 'waiting' })).toBe(
        7,
      );
      expect(await value(registry, gauge, { queue: 'visiwise-webhooks', state: 'active' })).toBe(2);
      expect(await value(registry, gauge, { queue: 'visiwise-webhooks', state: 'delayed' })).toBe(
        1,
      );
      expect(await value(registry, gauge, { queue: 'visiwise-webhooks', state: 'failed' })).toBe(3);
      expect(
        await value(registry, gauge, { queue: 'visiwise-webhooks', state: 'completed' }),
      ).toBeUndefined();
      expect(jobs.reads).toEqual([['waiting', 'active', 'delayed', 'failed']]);

      now += QUEUE_COUNTS_CACHE_MS - 1;
      await registry.metrics();
      expect(jobs.reads).toHaveLength(1);
      now += 1;
      await registry.metrics();
      expect(jobs.reads).toHaveLength(2);
    });

    it('drops the series while the queue cannot be read, and brings them back', async () => {
      const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
      const jobs = queue({ waiting: 4, active: 0, delayed: 0, failed: 0 });
      metrics.watchQueue(jobs, 'q');
      const labels = { queue: 'q', state: 'waiting' };
      expect(await value(registry, 'visiwise_webhook_queue_jobs', labels)).toBe(4);

      jobs.fail(true);
      now += QUEUE_COUNTS_CACHE_MS;
      expect(await value(registry, 'visiwise_webhook_queue_jobs', labels)).toBeUndefined();

      jobs.fail(false);
      now += QUEUE_COUNTS_CACHE_MS;
      expect(await value(registry, 'visiwise_webhook_queue_jobs', labels)).toBe(4);
    });

    it('does not let a queue that never answers hang the scrape', async () => {
      const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
      metrics.watchQueue({ getJobCounts: () => new Promise(() => undefined) }, 'stuck');
      const started = Date.now();
      await registry.metrics();
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(QUEUE_COUNTS_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(QUEUE_COUNTS_TIMEOUT_MS + 1_000);
    });

    it('stops reading a queue once unwatched or closed, and removes its series', async () => {
      const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
      const a = queue({ waiting: 1, active: 0, delayed: 0, failed: 0 });
      const b = queue({ waiting: 2, active: 0, delayed: 0, failed: 0 });
      const unwatchA = metrics.watchQueue(a, 'a');
      metrics.watchQueue(b, 'b');
      await registry.metrics();

      unwatchA();
      now += QUEUE_COUNTS_CACHE_MS;
      expect(
        await value(registry, 'visiwise_webhook_queue_jobs', { queue: 'a', state: 'waiting' }),
      ).toBeUndefined();
      expect(
        await value(registry, 'visiwise_webhook_queue_jobs', { queue: 'b', state: 'waiting' }),
      ).toBe(2);
      expect(a.reads).toHaveLength(1);

      metrics.close();
      now += QUEUE_COUNTS_CACHE_MS;
      expect(
        await value(registry, 'visiwise_webhook_queue_jobs', { queue: 'b', state: 'waiting' }),
      ).toBeUndefined();
      expect(b.reads).toHaveLength(2);
    });

    it('reads the queues of every instance sharing the gauge', async () => {
      const first = VisiwiseMetrics.create(metricsOn(registry), clock);
      const second = VisiwiseMetrics.create(metricsOn(registry), clock);
      first.watchQueue(queue({ waiting: 1, active: 0, delayed: 0, failed: 0 }), 'first');
      second.watchQueue(queue({ waiting: 2, active: 0, delayed: 0, failed: 0 }), 'second');

      expect(
        await value(registry, 'visiwise_webhook_queue_jobs', { queue: 'first', state: 'waiting' }),
      ).toBe(1);
      expect(
        await value(registry, 'visiwise_webhook_queue_jobs', { queue: 'second', state: 'waiting' }),
      ).toBe(2);
    });
  });

  describe('redis_up', () => {
    it('is absent until a Redis connection is watched, then follows it on scrape', async () => {
      const metrics = VisiwiseMetrics.create(metricsOn(registry), clock);
      expect(await value(registry, 'visiwise_webhook_redis_up')).toBeUndefined();

      const monitor = { isUp: true };
      metrics.watchRedis(monitor);
      expect(await value(registry, 'visiwise_webhook_redis_up')).toBe(1);
      monitor.isUp = false;
      expect(await value(registry, 'visiwise_webhook_redis_up')).toBe(0);
      monitor.isUp = true;
      expect(await value(registry, 'visiwise_webhook_redis_up')).toBe(1);
      expect(await registry.metrics()).toContain(
        '# HELP visiwise_webhook_redis_up Whether the Redis',
      );
    });

    it('is down when any watched connection is down, and ignores unwatched ones', async () => {
      const first = VisiwiseMetrics.create(metricsOn(registry), clock);
      const second = VisiwiseMetrics.create(metricsOn(registry), clock);
      first.watchRedis({ isUp: true });
      const unwatch = second.watchRedis({ isUp: false });
      expect(await value(registry, 'visiwise_webhook_redis_up')).toBe(0);
      unwatch();
      expect(await value(registry, 'visiwise_webhook_redis_up')).toBe(1);
    });
  });

  it('records nothing and registers nothing when disabled', async () => {
    const metrics = VisiwiseMetrics.disabled();
    metrics.delivered(answer({}), 'shipment.tracked');
    metrics.handled('shipment.tracked', 'default', false, 1);
    metrics.retried('x', 'default');
    metrics.deadLettered('x', 'failed', 'default');
    metrics.noHandler('x', 'receive', 'default');
    metrics.watchQueue({ getJobCounts: () => Promise.resolve({}) }, 'q')();
    metrics.watchRedis({ isUp: true })();
    metrics.close();
    expect(metrics.enabled).toBe(false);
    expect(await client.register.metrics()).toBe('\n');
  });
});
