import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { VisiwiseDeliveryMode } from 'nestjs-visiwise-webhook';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import {
  redisDownLogMessage,
  redisUpLogMessage,
} from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import { VisiwiseDeliveryRuntime } from '../libs/visiwise-webhook/src/delivery/visiwise-delivery.runtime';
import { VisiwiseHealthIndicator } from 'nestjs-visiwise-webhook';
import { ADAPTERS, AdapterName } from './support/adapters';
import { uniqueName, waitFor } from './support/redis';
import { TestRedisServer, describeWithRedisServer } from './support/redis-server';
import { WebhookTestApp, createWebhookTestApp, sendSigned } from './support/webhook-test-app';

/*
 * A Redis outage (a test-owned redis-server, with a password, killed for a few seconds and
 * started again) is one log line when it begins and one when it ends, whatever BullMQ and ioredis
 * emit meanwhile; no line carries the password; and work resumes once Redis is back.
 */

jest.setTimeout(60_000);

/** Long enough for several reconnection attempts (BullMQ alone used to log one a second). */
const OUTAGE_MS = 3000;

async function outage(
  adapter: AdapterName,
  delivery: VisiwiseDeliveryMode,
  affected: string,
): Promise<void> {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const queueName = uniqueName('outage');
  const redis = await TestRedisServer.start({ password });
  const secret = generateVisiwiseWebhookSecret();
  let t: WebhookTestApp | undefined;
  try {
    t = await createWebhookTestApp({
      adapter,
      registration: 'forRoot',
      secret,
      moduleOptions: {
        delivery,
        redis: redis.url,
        idempotency: { keyPrefix: `${uniqueName('outage')}:` },
        queue: { name: queueName },
        shutdownTimeoutMs: 2000,
      },
    });
    const app = t;
    const monitor = app.app.get(VisiwiseDeliveryRuntime).redisConnection();
    if (!monitor) {
      throw new Error('no Redis connection monitor although Redis is configured');
    }
    const changes: boolean[] = [];
    monitor.onChange((up) => changes.push(up));
    expect(monitor.isUp).toBe(true);

    expect((await sendSigned(app, secret, 'msg_before_outage')).status).toBe(200);
    await waitFor(() => app.handlers.tracked.length === 1, 10_000, 'the first delivery');
    if (delivery === 'queue') {
      // Its job recorded as completed, or the worker would finish it against the restarted (empty)
      // Redis and rightly log that the job is missing.
      const queue = new Queue(queueName, { connection: { url: redis.url } });
      try {
        await waitFor(
          async () => (await (await queue.getJob('msg_before_outage'))?.isCompleted()) === true,
          10_000,
          'the first job to complete',
        );
      } finally {
        await queue.close();
      }
    }

    const where = `redis://127.0.0.1:${redis.port}`;
    const downLine = redisDownLogMessage(where, affected, '');
    const upLine = redisUpLogMessage(where, affected, '');

    await redis.kill();
    const killedAt = Date.now();
    await waitFor(() => !monitor.isUp, 5000, 'the monitor to see Redis down');
    // Deliveries during the outage are refused (503, Visiwise retries), each without a log line of
    // its own: the outage's one line says why, and the metrics count them.
    for (const id of ['msg_during_outage_1', 'msg_during_outage_2', 'msg_during_outage_3']) {
      expect((await sendSigned(app, secret, id)).status).toBe(503);
    }
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await redis.restart();
    await waitFor(() => monitor.isUp, 10_000, 'the monitor to see Redis back');
    const outageMs = Date.now() - killedAt;

    const down = app.logger.take('error', downLine);
    const up = app.logger.take('log', upLine);
    expect(down).toHaveLength(1);
    expect(up).toHaveLength(1);
    // The outage's length, as measured here (give or take the reconnection backoff).
    const seconds = Number(/after an outage of (\d+(?:\.\d)?) s/.exec(up[0]!.text)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(OUTAGE_MS / 1000);
    expect(seconds).toBeLessThanOrEqual(outageMs / 1000 + 0.5);
    expect(changes).toEqual([false, true]);
    expect(monitor.since.getTime()).toBeGreaterThan(killedAt);

    // Work resumes: a delivery after the outage is handled (in queue mode: the worker runs again).
    await waitFor(
      async () => (await sendSigned(app, secret, 'msg_after_outage')).status === 200,
      10_000,
      'a 200 after Redis is back',
    );
    await waitFor(
      () => app.handlers.tracked.some((event) => event.id === 'msg_after_outage'),
      15_000,
      'the delivery after the outage to reach its handler',
    );

    // Nothing else worth a warning was said, and nothing secret at all.
    app.logger.assertNoUnexpected();
    for (const entry of app.logger.entries) {
      expect(entry.text).not.toContain(password);
      expect(entry.text).not.toContain('MSCU1234566');
    }
  } finally {
    await t?.close();
    await redis.stop();
  }
}

// Sequential, not side by side: Nest's Logger is process-wide, so two apps in one process would
// share (and mix) their captured lines. The adapter does not change what Redis does, so the
// in-process mode runs on one.
describeWithRedisServer(
  'a Redis outage in the logs (real redis-server, killed and restarted)',
  () => {
    it.each(ADAPTERS)(
      'queue mode on %s: one line down, one line up with its length, and the worker handles jobs again',
      (adapter) => outage(adapter, 'queue', 'dedupe, queue, dead letters'),
    );

    it('inline mode with the Redis store: one line down, one line up, and dedupe works again', () =>
      outage('express', 'inline', 'dedupe, dead letters'));
  },
);

describeWithRedisServer('a frozen Redis (SIGSTOP: connections open, nothing answered)', () => {
  it('is noticed by the PING probe: one line down, readiness fails, one line up once it answers', async () => {
    const redis = await TestRedisServer.start();
    const secret = generateVisiwiseWebhookSecret();
    const t = await createWebhookTestApp({
      adapter: 'fastify',
      registration: 'forRoot',
      secret,
      moduleOptions: {
        redis: redis.url,
        idempotency: { keyPrefix: `${uniqueName('frozen')}:` },
        shutdownTimeoutMs: 2000,
      },
    });
    try {
      const monitor = t.app.get(VisiwiseDeliveryRuntime).redisConnection();
      const health = t.app.get(VisiwiseHealthIndicator);
      expect(monitor?.isUp).toBe(true);
      redis.freeze();
      // Probed every 5 s, each PING given 2 s.
      await waitFor(() => monitor?.isUp === false, 12_000, 'the probe to see Redis frozen');
      expect((await health.isHealthy()).visiwise).toMatchObject({ status: 'down', redis: 'down' });
      redis.thaw();
      await waitFor(() => monitor?.isUp === true, 12_000, 'the probe to see Redis answer again');
      const where = `redis://127.0.0.1:${redis.port}`;
      const affected = 'dedupe, dead letters';
      expect(t.logger.take('error', redisDownLogMessage(where, affected, ''))).toHaveLength(1);
      expect(t.logger.take('error', 'no answer to PING within 2000 ms')).toHaveLength(1);
      expect(t.logger.take('log', redisUpLogMessage(where, affected, ''))).toHaveLength(1);
      expect((await sendSigned(t, secret, 'msg_after_thaw')).status).toBe(200);
      t.logger.assertNoUnexpected();
    } finally {
      await t.close();
      await redis.stop();
    }
  });
});
