import { INestApplication, Injectable } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import {
  OnVisiwiseEvent,
  PostgresDeliveryLog,
  VISIWISE_DELIVERY_LOG,
  VISIWISE_INBOX_REPLAYER,
  VisiwiseDeadLetterService,
  VisiwiseEvent,
  VisiwiseInboxReplayer,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import request from 'supertest';
import { ADAPTERS, AdapterName, createHttpApp } from './support/adapters';
import { CapturingLogger } from './support/capturing-logger';
import { shipmentTracked } from './support/payloads';
import { DATABASE_URL, describeWithPostgres, useTestSchema } from './support/postgres';
import { TestPostgresServer, describeWithPostgresServer } from './support/postgres-server';
import { uniqueName } from './support/redis';
import { migrateVisiwiseInbox } from 'nestjs-visiwise-webhook';
import { Pool } from 'pg';
import { VisiwiseDeliveryRuntime } from '../libs/visiwise-webhook/src/delivery/visiwise-delivery.runtime';

/** Records each run; fails while `failing` is set; can check the log while handling. */
@Injectable()
class InboxHandlers {
  readonly handled: string[] = [];
  readonly runs: string[] = [];
  failing = false;
  /** Called during the handler, before it returns (to see what is recorded by then). */
  during: ((event: VisiwiseEvent<'shipment.tracked'>) => Promise<void>) | undefined;

  @OnVisiwiseEvent('shipment.tracked')
  async onTracked(event: VisiwiseEvent<'shipment.tracked'>): Promise<void> {
    this.runs.push(event.id);
    await this.during?.(event);
    if (this.failing) {
      throw new Error('carrier API unavailable');
    }
    this.handled.push(event.id);
  }
}

interface InboxApp {
  readonly app: INestApplication;
  readonly handlers: InboxHandlers;
  readonly logger: CapturingLogger;
  readonly log: PostgresDeliveryLog;
  post(id: string, body?: string): request.Test;
}

async function startInboxApp(
  adapter: AdapterName,
  secret: string,
  options: VisiwiseWebhookModuleOptions,
): Promise<InboxApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventEmitterModule.forRoot(),
      VisiwiseWebhookModule.forRoot({ secret, metrics: false, tracing: false, ...options }),
    ],
    providers: [InboxHandlers],
  }).compile();
  const logger = new CapturingLogger();
  const app = await createHttpApp(moduleRef, adapter, { logger });
  return {
    app,
    logger,
    handlers: app.get(InboxHandlers),
    log: app.get<PostgresDeliveryLog>(VISIWISE_DELIVERY_LOG),
    post: (id, body = JSON.stringify(shipmentTracked('MSCU1234566'))) =>
      request(app.getHttpServer())
        .post('/webhooks/visiwise')
        .set('content-type', 'application/json')
        .set({ ...signVisiwiseWebhook({ secret, payload: body, id }) })
        .send(body),
  };
}

const idOf = (label: string): string => `msg_${uniqueName(label).replace(/-/g, '_')}`;

describeWithPostgres('the inbox: every delivery in PostgreSQL (real database)', () => {
  const schema = useTestSchema('inbox');
  const secret = generateVisiwiseWebhookSecret();
  const database = (): VisiwiseWebhookModuleOptions['database'] => ({
    url: DATABASE_URL,
    schema: schema.name,
    migrate: true,
  });

  describe.each(ADAPTERS)('on %s', (adapter) => {
    let t: InboxApp;
    beforeEach(async () => {
      t = await startInboxApp(adapter, secret, { database: database(), inbox: true });
    });
    afterEach(async () => {
      await t.app.close();
    });

    it('records a delivery before its handlers run and its answer, then its outcome', async () => {
      const id = idOf('before');
      const seen: string[] = [];
      t.handlers.during = async (event) => {
        seen.push(
          (await t.log.get({ endpoint: 'default', deliveryId: event.id }))?.status ?? 'absent',
        );
      };
      await t.post(id).expect(200, { status: 'received' });
      expect(seen).toEqual(['received']);
      const logged = await t.log.get({ endpoint: 'default', deliveryId: id });
      expect(logged).toMatchObject({
        status: 'handled',
        eventType: 'shipment.tracked',
        trackingRefs: ['MSCU1234566'],
        attempts: 0,
      });
      expect(logged?.history.map((attempt) => attempt.outcome)).toEqual(['handled']);
      expect(logged?.headers).not.toHaveProperty('svix-signature');
      expect(JSON.parse(logged?.rawBody.toString() ?? '')).toEqual(shipmentTracked('MSCU1234566'));
      // Found by the tracking reference, in any case.
      const found = await t.log.list({ q: 'mscu1234566' });
      expect(found.items.map((item) => item.deliveryId)).toContain(id);
    });

    it('records a failed attempt, and the replay through the inbox runs the handler again', async () => {
      const id = idOf('replay');
      t.handlers.failing = true;
      await t.post(id).expect(500);
      t.logger.take('error', 'carrier API unavailable');
      expect(await t.log.get({ endpoint: 'default', deliveryId: id })).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: expect.stringContaining('carrier API unavailable') as unknown,
      });
      t.handlers.failing = false;
      const replayer = t.app.get<VisiwiseInboxReplayer>(VISIWISE_INBOX_REPLAYER);
      await expect(replayer.replay({ endpoint: 'default', deliveryId: id })).resolves.toBe(
        'replayed',
      );
      const logged = await t.log.get({ endpoint: 'default', deliveryId: id });
      expect(logged?.status).toBe('handled');
      expect(logged?.history.map((attempt) => [attempt.attempt, attempt.outcome])).toEqual([
        [1, 'failed'],
        [2, 'handled'],
      ]);
      expect(t.handlers.handled).toEqual([id]);
      // Handled deliveries are not replayed; unknown ones are not found.
      await expect(replayer.replay({ endpoint: 'default', deliveryId: id })).resolves.toBe(
        'not_replayable',
      );
      await expect(replayer.replay({ endpoint: 'default', deliveryId: 'msg_none' })).resolves.toBe(
        'not_found',
      );
    });

    it('keeps an unparseable delivery in the log, listed and counted as a dead letter', async () => {
      const id = idOf('unparseable');
      await t.post(id, 'not json at all').expect(200, { status: 'unparseable' });
      t.logger.take('warn', 'could not be read as an event');
      expect(await t.log.get({ endpoint: 'default', deliveryId: id })).toMatchObject({
        status: 'unparseable',
        eventType: null,
      });
      const deadLetters = t.app.get(VisiwiseDeadLetterService);
      const listed = await deadLetters.list();
      expect(listed.find((entry) => entry.id === id)).toMatchObject({
        cause: 'unparseable',
        endpoint: 'default',
      });
      expect(await deadLetters.count()).toBeGreaterThanOrEqual(1);
    });
  });

  it('two instances on one database handle each delivery once: 40 copies of one, 200 distinct', async () => {
    const options = {
      database: database(),
      inbox: true,
      idempotency: { store: 'postgres' as const },
    };
    const [a, b] = await Promise.all([
      startInboxApp('express', secret, options),
      startInboxApp('fastify', secret, options),
    ]);
    try {
      const one = idOf('copies');
      const copies = await Promise.all(
        Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? a : b).post(one)),
      );
      const statuses = copies.map((response) => response.status);
      expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
      const distinct = Array.from({ length: 200 }, (_, index) => idOf(`distinct${String(index)}`));
      const answers = await Promise.all(
        distinct.map((id, index) => (index % 2 === 0 ? a : b).post(id)),
      );
      expect(answers.map((response) => response.status)).toEqual(distinct.map(() => 200));
      const runs = [...a.handlers.runs, ...b.handlers.runs];
      expect(runs.filter((id) => id === one)).toHaveLength(1);
      for (const id of distinct) {
        expect(runs.filter((run) => run === id)).toHaveLength(1);
      }
      expect(await a.log.count({ status: 'handled', q: one })).toBe(1);
    } finally {
      await Promise.all([a.app.close(), b.app.close()]);
    }
  }, 60_000);

  it('prunes deliveries past the retention in batches, keeping dead and unparseable ones', async () => {
    const t = await startInboxApp('express', secret, {
      database: database(),
      inbox: { retentionDays: 1, pruneBatchSize: 2 },
    });
    try {
      const old = new Date(Date.now() - 3 * 24 * 3600 * 1000);
      const body = Buffer.from('{}');
      const ids = ['old_a', 'old_b', 'old_c', 'old_dead', 'old_unparseable'].map(idOf);
      for (const deliveryId of ids) {
        await t.log.record({
          endpoint: 'prune',
          deliveryId,
          eventType: 'shipment.tracked',
          rawBody: body,
          receivedAt: old,
          status: deliveryId.includes('unparseable') ? 'unparseable' : 'received',
        });
      }
      await t.log.markDead({ endpoint: 'prune', deliveryId: ids[3] ?? '' }, new Error('gave up'));
      const recent = idOf('recent');
      await t.log.record({ endpoint: 'prune', deliveryId: recent, eventType: 'x', rawBody: body });
      const runtime = t.app.get(VisiwiseDeliveryRuntime);
      const pruned = await runtime.prune();
      expect(pruned.deliveries).toBe(3);
      const left = await t.log.list({ endpoint: 'prune' });
      expect(left.items.map((item) => item.deliveryId).sort()).toEqual(
        [recent, ids[3], ids[4]].sort(),
      );
    } finally {
      await t.app.close();
    }
  });

  it('fails the start, naming `inbox migrate`, when the tables are missing and migrate is off', async () => {
    const empty = schema.another('empty');
    await expect(
      startInboxApp('express', secret, {
        database: { url: DATABASE_URL, schema: empty },
        inbox: true,
      }),
    ).rejects.toThrow('visiwise-webhook inbox migrate');
  });
});

describeWithPostgresServer('the inbox when PostgreSQL dies (a test-owned server)', () => {
  const secret = generateVisiwiseWebhookSecret();
  let server: TestPostgresServer;

  beforeAll(async () => {
    server = await TestPostgresServer.start();
    const pool = new Pool({ connectionString: server.url });
    await migrateVisiwiseInbox(pool);
    await pool.end();
  }, 60_000);
  afterAll(async () => {
    await server.stop();
  });

  it.each(ADAPTERS)(
    'on %s: answers 503 and acknowledges nothing while the database is down, and takes the retry after',
    async (adapter) => {
      const t = await startInboxApp(adapter, secret, {
        database: { url: server.url, statementTimeoutMs: 1000 },
        inbox: true,
      });
      try {
        await t.post(idOf('up')).expect(200);
        await server.kill();
        const id = idOf('down');
        const started = Date.now();
        const refused = await t.post(id).expect(503);
        expect(refused.body).toMatchObject({ reason: 'inbox_unavailable' });
        expect(Date.now() - started).toBeLessThan(5000);
        expect(t.handlers.runs).not.toContain(id);
        expect(t.logger.take('error', 'Writing the Visiwise delivery log')).toHaveLength(1);
        await server.restart();
        await t.post(id).expect(200, { status: 'received' });
        expect(t.handlers.handled).toContain(id);
        expect((await t.log.get({ endpoint: 'default', deliveryId: id }))?.status).toBe('handled');
        t.logger.assertNoUnexpected();
      } finally {
        await t.app.close();
      }
    },
    60_000,
  );
});
