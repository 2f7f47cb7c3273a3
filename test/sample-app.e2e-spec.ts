import { Test } from '@nestjs/testing';
import { Queue } from 'bullmq';
import request from 'supertest';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { AppModule } from '../apps/sample/src/app.module';
import type { TrackedShipment } from '../apps/sample/src/shipments/shipments.service';
import { ADAPTERS, createHttpApp } from './support/adapters';
import { CapturingLogger } from './support/capturing-logger';
import { Sample, parseExposition, valueOf } from './support/prometheus';
import { shipmentTracked } from './support/payloads';
import { REDIS_URL, describeWithRedis, uniqueName, waitFor } from './support/redis';
import { DATABASE_URL, POSTGRES_AVAILABLE, testPool, uniqueSchema } from './support/postgres';

describe.each(ADAPTERS)('sample app on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  // The sample reads its whole configuration from the environment, which CI also uses (REDIS_URL):
  // pin it to the embedded default, as on a fresh clone.
  const keys = [
    'VISIWISE_WEBHOOK_SECRET',
    'VISIWISE_DELIVERY',
    'REDIS_URL',
    'VISIWISE_QUEUE_NAME',
    'VISIWISE_ENDPOINTS',
    'DATABASE_URL',
  ];
  const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]));

  beforeAll(() => {
    for (const key of keys) Reflect.deleteProperty(process.env, key);
    process.env['VISIWISE_WEBHOOK_SECRET'] = secret;
  });
  afterAll(() => {
    for (const key of keys) {
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
    }
  });

  it('lists a signed shipment.tracked delivery under GET /shipments with its event id', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const logger = new CapturingLogger();
    const app = await createHttpApp(moduleRef, adapter, { logger });
    try {
      const server = app.getHttpServer();
      const health = await request(server).get('/health').expect(200);
      expect(health.body).toMatchObject({
        status: 'ok',
        info: { visiwise: { status: 'up', mode: 'inline' } },
      });
      await request(server).get('/shipments').expect(200, []);

      const payload = shipmentTracked('HLXU1357904');
      const body = JSON.stringify(payload);
      const id = `msg_${uniqueName('inline').replace(/-/g, '_')}`;
      const headers = signVisiwiseWebhook({ secret, payload: body, id });
      await request(server)
        .post('/webhooks/visiwise')
        .set('content-type', 'application/json')
        .set({ ...headers })
        .send(body)
        .expect(200, { status: 'received' });

      const listed = await request(server).get('/shipments').expect(200);
      const shipments = listed.body as TrackedShipment[];
      expect(shipments).toHaveLength(1);
      expect(shipments[0]).toMatchObject({
        eventId: id,
        trackingReference: 'HLXU1357904',
        status: 'Track-Succeeded',
        carrier: 'MSC',
        arrival: { at: '2025-10-21T14:00:00Z', isActual: false },
      });

      // A forged delivery is refused and does not show up.
      const forged = signVisiwiseWebhook({
        secret: generateVisiwiseWebhookSecret(),
        payload: body,
      });
      await request(server)
        .post('/webhooks/visiwise')
        .set('content-type', 'application/json')
        .set({ ...forged })
        .send(body)
        .expect(401);
      expect((await request(server).get('/shipments')).body).toHaveLength(1);
      logger.assertNoUnexpected();
    } finally {
      await app.close();
    }
  });

  it('mounts one endpoint per VISIWISE_ENDPOINTS entry, each with its own secret, and lists the endpoint of each shipment', async () => {
    const eu = generateVisiwiseWebhookSecret();
    const us = generateVisiwiseWebhookSecret();
    process.env['VISIWISE_ENDPOINTS'] = `eu=${eu},us=${us}`;
    try {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = await createHttpApp(moduleRef, adapter, { logger: new CapturingLogger() });
      try {
        const server = app.getHttpServer();
        const body = JSON.stringify(shipmentTracked('MSCU1234566'));
        const post = (path: string, signWith: string, id: string) =>
          request(server)
            .post(path)
            .set('content-type', 'application/json')
            .set({ ...signVisiwiseWebhook({ secret: signWith, payload: body, id }) })
            .send(body);
        const id = `msg_${uniqueName('endpoints').replace(/-/g, '_')}`;
        await post('/webhooks/visiwise/eu', eu, id).expect(200, { status: 'received' });
        // Svix sends one message to every endpoint with the same svix-id: a delivery of its own.
        await post('/webhooks/visiwise/us', us, id).expect(200, { status: 'received' });
        // Each endpoint accepts only its own secret; the single endpoint is not mounted.
        await post('/webhooks/visiwise/eu', us, `${id}_x`).expect(401);
        await post('/webhooks/visiwise', secret, `${id}_y`).expect(404);

        const shipments = (await request(server).get('/shipments').expect(200))
          .body as TrackedShipment[];
        expect(shipments.map(({ eventId, endpoint }) => ({ eventId, endpoint }))).toEqual([
          { eventId: id, endpoint: 'eu' },
          { eventId: id, endpoint: 'us' },
        ]);
      } finally {
        await app.close();
      }
    } finally {
      Reflect.deleteProperty(process.env, 'VISIWISE_ENDPOINTS');
    }
  });

  (POSTGRES_AVAILABLE ? it : it.skip)(
    'with DATABASE_URL, records every delivery in the inbox (tables created at start)',
    async () => {
      const schema = uniqueSchema('sample');
      Object.assign(process.env, { DATABASE_URL, VISIWISE_DATABASE_SCHEMA: schema });
      const pool = testPool();
      try {
        const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
        const app = await createHttpApp(moduleRef, adapter, { logger: new CapturingLogger() });
        try {
          const body = JSON.stringify(shipmentTracked('TGHU2468106'));
          const id = `msg_${uniqueName('sample-inbox').replace(/-/g, '_')}`;
          await request(app.getHttpServer())
            .post('/webhooks/visiwise')
            .set('content-type', 'application/json')
            .set({ ...signVisiwiseWebhook({ secret, payload: body, id }) })
            .send(body)
            .expect(200, { status: 'received' });
          const { rows } = await pool.query<{ status: string; tracking_refs: string[] }>(
            `SELECT status, tracking_refs FROM "${schema}".visiwise_deliveries WHERE delivery_id = $1`,
            [id],
          );
          expect(rows).toEqual([{ status: 'handled', tracking_refs: ['TGHU2468106'] }]);
        } finally {
          await app.close();
        }
      } finally {
        Reflect.deleteProperty(process.env, 'DATABASE_URL');
        Reflect.deleteProperty(process.env, 'VISIWISE_DATABASE_SCHEMA');
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await pool.end();
      }
    },
  );

  it('counts accepted, duplicate and rejected deliveries on GET /metrics, as Prometheus text', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = await createHttpApp(moduleRef, adapter, { logger: new CapturingLogger() });
    try {
      const server = app.getHttpServer();
      // The default registry is shared by every app this process created: count the difference.
      const scrape = async () => {
        const response = await request(server).get('/metrics').expect(200);
        expect(response.headers['content-type']).toContain('text/plain');
        return parseExposition(response.text);
      };
      const count = (samples: Sample[], labels: Record<string, string>) =>
        valueOf(samples, 'visiwise_webhook_deliveries_total', labels);
      const before = await scrape();
      const body = JSON.stringify(shipmentTracked());
      const post = (headers: Record<string, string>) =>
        request(server)
          .post('/webhooks/visiwise')
          .set('content-type', 'application/json')
          .set(headers)
          .send(body);
      const id = `msg_${uniqueName('metrics').replace(/-/g, '_')}`;
      const signed = signVisiwiseWebhook({ secret, payload: body, id });
      await post({ ...signed }).expect(200, { status: 'received' });
      await post({ ...signed }).expect(200, { status: 'duplicate' });
      const forged = signVisiwiseWebhook({
        secret: generateVisiwiseWebhookSecret(),
        payload: body,
      });
      await post({ ...forged }).expect(401);
      await post({}).expect(401);
      const after = await scrape();
      const delta = (labels: Record<string, string>) =>
        count(after, labels) - count(before, labels);
      expect(delta({ outcome: 'accepted', type: 'shipment.tracked' })).toBe(1);
      expect(delta({ outcome: 'duplicate', type: 'shipment.tracked' })).toBe(1);
      expect(delta({ outcome: 'rejected', reason: 'invalid_signature' })).toBe(1);
      expect(delta({ outcome: 'rejected', reason: 'missing_headers' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describeWithRedis('two sample instances in queue mode against one Redis', () => {
  const secret = generateVisiwiseWebhookSecret();
  const keys = [
    'VISIWISE_WEBHOOK_SECRET',
    'VISIWISE_DELIVERY',
    'REDIS_URL',
    'VISIWISE_QUEUE_NAME',
    'DATABASE_URL',
  ];
  const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]));
  const queueName = uniqueName('sample');

  beforeAll(() => {
    Reflect.deleteProperty(process.env, 'DATABASE_URL');
    Object.assign(process.env, {
      VISIWISE_WEBHOOK_SECRET: secret,
      VISIWISE_DELIVERY: 'queue',
      REDIS_URL,
      VISIWISE_QUEUE_NAME: queueName,
    });
  });
  afterAll(async () => {
    for (const key of keys) {
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
    }
    const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('handles each event once across both instances, each listing what it processed', async () => {
    const loggers: CapturingLogger[] = [];
    const instances = await Promise.all(
      (['express', 'fastify'] as const).map(async (adapter) => {
        const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
        const logger = new CapturingLogger();
        loggers.push(logger);
        return createHttpApp(moduleRef, adapter, { logger });
      }),
    );
    try {
      // Unique per run: the shared Redis remembers handled ids for 36 h (that is the point).
      const ids = [1, 2, 3, 4].map((n) => `msg_${uniqueName('sample')}_${n}`.replace(/-/g, '_'));
      for (const [index, id] of ids.entries()) {
        const body = JSON.stringify(shipmentTracked(`MSCU12345${66 + index}`));
        // Every delivery reaches both instances (as Svix's retries may), in turn.
        for (const app of [instances[index % 2]!, instances[(index + 1) % 2]!]) {
          await request(app.getHttpServer())
            .post('/webhooks/visiwise')
            .set('content-type', 'application/json')
            .set({ ...signVisiwiseWebhook({ secret, payload: body, id }) })
            .send(body)
            .expect(200);
        }
      }
      const listed = async () =>
        (
          await Promise.all(
            instances.map(
              async (app) =>
                (await request(app.getHttpServer()).get('/shipments')).body as TrackedShipment[],
            ),
          )
        ).flat();
      await waitFor(
        async () => (await listed()).length >= ids.length,
        10_000,
        'all events handled',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await listed()).map((s) => s.eventId).sort()).toEqual([...ids].sort());
      loggers.forEach((logger) => {
        logger.assertNoUnexpected();
      });
    } finally {
      await Promise.all(instances.map((app) => app.close()));
    }
  });
});
