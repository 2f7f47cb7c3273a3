import * as api from '@opentelemetry/api';
import * as client from 'prom-client';
import type { VisiwiseDeliveryAnswer } from './delivery-answer.interface';
import { resolveObservabilityOptions } from './observability-options';
import { VisiwiseMetrics } from './visiwise-metrics';
import { VisiwiseTelemetry } from './visiwise-telemetry';
import { VisiwiseTracing } from './visiwise-tracing';

async function series(registry: client.Registry, name: string): Promise<Record<string, number>> {
  // label set -> value, e.g. {'outcome="accepted",reason="none",type="other"': 1}
  const found: Record<string, number> = {};
  for (const line of (await registry.metrics()).split('\n')) {
    const match = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line);
    if (match) found[match[1]!] = Number(match[2]);
  }
  return found;
}

function telemetry(registry: client.Registry, isKnownType?: (type: string) => boolean) {
  const resolved = resolveObservabilityOptions({ metrics: { registry }, tracing: false });
  return VisiwiseTelemetry.create(resolved, isKnownType);
}

const answer = (type: string | undefined, endpoint = 'default'): VisiwiseDeliveryAnswer => ({
  endpoint,
  tenant: undefined,
  outcome: 'accepted',
  reason: undefined,
  status: 200,
  deliveryId: 'msg_1',
  type,
  signedAt: new Date(),
});

describe('VisiwiseTelemetry', () => {
  let registry: client.Registry;
  beforeEach(() => {
    registry = new client.Registry();
  });

  it('labels built-in types by name and every other type "other" by default', async () => {
    const t = telemetry(registry);
    t.answered(undefined, answer('shipment.tracked'));
    t.answered(undefined, answer('invoice.paid'));
    t.answered(undefined, answer('crm.contact.created'));
    t.answered(undefined, answer(undefined));

    expect(await series(registry, 'visiwise_webhook_deliveries_total')).toEqual({
      'outcome="accepted",reason="none",type="shipment.tracked",endpoint="default"': 1,
      'outcome="accepted",reason="none",type="other",endpoint="default"': 2,
      'outcome="accepted",reason="none",type="none",endpoint="default"': 1,
    });
    expect(
      (await registry.metrics()).match(/^visiwise_webhook_delivery_lag_seconds_count \d+$/m)?.[0],
    ).toBe('visiwise_webhook_delivery_lag_seconds_count 4');
  });

  it('names the types the predicate knows (those the application subscribes to)', async () => {
    const t = telemetry(registry, (type) => type === 'invoice.paid');
    t.answered(undefined, answer('invoice.paid', 'eu'));
    t.noHandler('shipment.tracked', 'receive', 'eu');
    t.deadLettered(undefined, 'unparseable', 'us');
    t.retried('invoice.paid', 'eu');

    expect(await series(registry, 'visiwise_webhook_deliveries_total')).toEqual({
      'outcome="accepted",reason="none",type="invoice.paid",endpoint="eu"': 1,
    });
    expect(await series(registry, 'visiwise_webhook_no_handler_total')).toEqual({
      'type="other",where="receive",endpoint="eu"': 1,
    });
    expect(await series(registry, 'visiwise_webhook_dead_letters_total')).toEqual({
      'type="none",cause="unparseable",endpoint="us"': 1,
    });
    expect(await series(registry, 'visiwise_webhook_retries_total')).toEqual({
      'type="invoice.paid",endpoint="eu"': 1,
    });
  });

  it('times each run of the handlers by outcome and returns what run resolved', async () => {
    const t = telemetry(registry);
    const context = { mode: 'queue', attempt: 1, parent: undefined } as const;
    const done = { ok: true, handlerCount: 1 };
    await expect(
      t.handle({ id: 'a', type: 'shipment.tracked', endpoint: 'default' }, context, () =>
        Promise.resolve(done),
      ),
    ).resolves.toBe(done);
    await t.handle(
      { id: 'b', type: 'shipment.tracked', endpoint: 'default' },
      context,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return { ok: false, handlerCount: 1 };
      },
    );
    await expect(
      t.handle({ id: 'c', type: 'x.y', endpoint: 'eu' }, context, () =>
        Promise.reject(new Error('bug')),
      ),
    ).rejects.toThrow('bug');

    expect(await series(registry, 'visiwise_webhook_handler_duration_seconds_count')).toEqual({
      'type="shipment.tracked",outcome="ok",endpoint="default"': 1,
      'type="shipment.tracked",outcome="failed",endpoint="default"': 1,
      'type="other",outcome="failed",endpoint="eu"': 1,
    });
    const sums = await series(registry, 'visiwise_webhook_handler_duration_seconds_sum');
    expect(
      sums['type="shipment.tracked",outcome="failed",endpoint="default"'],
    ).toBeGreaterThanOrEqual(0.025);
    expect(sums['type="shipment.tracked",outcome="ok",endpoint="default"']).toBeLessThan(0.025);
    expect(await series(registry, 'visiwise_webhook_handler_failures_total')).toEqual({
      'type="shipment.tracked",endpoint="default"': 1,
      'type="other",endpoint="eu"': 1,
    });
  });

  it('watches a queue and Redis until closed', async () => {
    const t = telemetry(registry);
    t.watchQueue({ getJobCounts: () => Promise.resolve({ waiting: 5 }) }, 'visiwise-webhooks');
    t.watchRedis({ isUp: false });
    expect(await series(registry, 'visiwise_webhook_queue_jobs')).toMatchObject({
      'queue="visiwise-webhooks",state="waiting"': 5,
      'queue="visiwise-webhooks",state="active"': 0,
    });
    expect(await registry.metrics()).toMatch(/^visiwise_webhook_redis_up 0$/m);
    t.close();
    expect(await series(registry, 'visiwise_webhook_queue_jobs')).toEqual({});
  });

  it('when disabled, records nothing anywhere and hands back what run resolved', async () => {
    const t = VisiwiseTelemetry.disabled();
    const trace = t.beginDelivery();
    expect(trace).toBeUndefined();
    t.answered(trace, answer('shipment.tracked'));
    expect(t.carrier(trace)).toBeUndefined();
    const done = { ok: true, handlerCount: 0 };
    await expect(
      t.handle(
        { id: 'a', type: 't', endpoint: 'default' },
        { mode: 'inline', attempt: 1, parent: trace },
        () => Promise.resolve(done),
      ),
    ).resolves.toBe(done);
    t.retried('t', 'default');
    t.deadLettered('t', 'failed', 'default');
    t.noHandler('t', 'worker', 'default');
    t.watchQueue({ getJobCounts: () => Promise.resolve({}) }, 'q');
    t.watchRedis({ isUp: true });
    t.close();
    expect(await client.register.metrics()).toBe('\n');
  });

  it('can be assembled from its two parts', () => {
    const t = new VisiwiseTelemetry(VisiwiseMetrics.disabled(), VisiwiseTracing.create(api));
    // No SDK registered: the API is a no-op, so there is no trace to carry.
    expect(t.beginDelivery()).toBeUndefined();
  });
});
