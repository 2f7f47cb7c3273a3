import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import request from 'supertest';
import { ADAPTERS } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import { parseExposition, valueOf } from './support/prometheus';
import { uniqueName, waitFor } from './support/redis';
import { TestRedisServer, describeWithRedisServer } from './support/redis-server';
import { Sample, startSample } from './support/sample-process';

/*
 * The sample app as an operator runs it: the built `main.js` in a process of its own, in queue
 * mode against a redis-server this test owns. Its /metrics and /health answer what happened, and
 * SIGTERM ends it on time even after its Redis was killed (the report: it used to hang).
 */

const SHUTDOWN_TIMEOUT_MS = 2000;
const EXIT_DEADLINE_MS = SHUTDOWN_TIMEOUT_MS + 5000;

jest.setTimeout(60_000);

describeWithRedisServer.each(ADAPTERS)('the sample app in production shape on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  let redis: TestRedisServer;
  let sample: Sample | undefined;

  beforeEach(async () => {
    redis = await TestRedisServer.start();
  });

  afterEach(async () => {
    sample?.child.kill('SIGKILL');
    sample = undefined;
    await redis.stop();
  });

  const send = (id: string, signWith = secret): request.Test => {
    const body = JSON.stringify(shipmentTracked());
    return request(sample?.url ?? '')
      .post('/webhooks/visiwise')
      .set('content-type', 'application/json')
      .set({ ...signVisiwiseWebhook({ secret: signWith, payload: body, id }) })
      .send(body);
  };

  it('serves /metrics and /health, and exits on SIGTERM within the deadline after Redis died', async () => {
    sample = await startSample(adapter, {
      VISIWISE_WEBHOOK_SECRET: secret,
      VISIWISE_DELIVERY: 'queue',
      REDIS_URL: redis.url,
      VISIWISE_QUEUE_NAME: uniqueName('sample'),
      VISIWISE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    const url = sample.url;
    await send('msg_sample_1').expect(200, { status: 'received' });
    await send('msg_sample_2').expect(200, { status: 'received' });
    // The job of msg_sample_1 exists: BullMQ's job id collapses the retry.
    await send('msg_sample_1').expect(200);
    await send('msg_sample_forged', generateVisiwiseWebhookSecret()).expect(401);
    await waitFor(
      async () => ((await request(url).get('/shipments')).body as unknown[]).length === 2,
      10_000,
      'the worker',
    );

    const scrape = await request(url).get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toContain('text/plain');
    const samples = parseExposition(scrape.text);
    const deliveries = 'visiwise_webhook_deliveries_total';
    expect(valueOf(samples, deliveries, { outcome: 'accepted', type: 'shipment.tracked' })).toBe(3);
    expect(valueOf(samples, deliveries, { outcome: 'rejected', reason: 'invalid_signature' })).toBe(
      1,
    );
    expect(valueOf(samples, 'visiwise_webhook_redis_up')).toBe(1);
    expect(scrape.text).not.toContain(secret);

    const ready = await request(url).get('/health').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { visiwise: { status: 'up', mode: 'queue' } },
    });

    await redis.kill();
    // Readiness follows Redis; liveness does not (restarting every pod cures no Redis outage).
    await waitFor(
      async () => (await request(url).get('/health/ready')).status === 503,
      10_000,
      'readiness to fail',
    );
    await request(url).get('/health/live').expect(200);
    await send('msg_sample_3').expect(503);
    expect(
      valueOf(
        parseExposition((await request(url).get('/metrics')).text),
        'visiwise_webhook_redis_up',
      ),
    ).toBe(0);

    const sigtermAt = Date.now();
    sample.child.kill('SIGTERM');
    const exitedAt = await Promise.race([
      sample.exited,
      new Promise<number>((resolve) =>
        setTimeout(() => {
          resolve(Number.POSITIVE_INFINITY);
        }, 20_000),
      ),
    ]);
    expect(exitedAt - sigtermAt).toBeLessThan(EXIT_DEADLINE_MS);
    // One line for the outage, not one per reconnection attempt.
    expect(sample.output.match(/Lost the connection to Redis/g) ?? []).toHaveLength(1);
    expect(sample.output).not.toContain(secret);
  });
});
