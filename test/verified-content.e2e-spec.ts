import { EventEmitter2 } from '@nestjs/event-emitter';
import { Queue } from 'bullmq';
import {
  FailedVisiwiseEvent,
  VisiwiseDeadLetterService,
  VisiwiseEnvelopeInput,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import request from 'supertest';
import {
  unhandledJobLogMessage,
  unparseableKeptLogMessage,
} from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import {
  invalidJsonMessage,
  noHandlerLogMessage,
  payloadFieldProblem,
} from '../libs/visiwise-webhook/src/events/events.messages';
import { ADAPTERS } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import {
  REDIS_URL,
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniqueName,
  waitFor,
} from './support/redis';
import { TestRedisServer } from './support/redis-server';
import {
  REGISTRATIONS,
  WebhookTestApp,
  createWebhookTestApp,
  sendSigned,
} from './support/webhook-test-app';

jest.setTimeout(30_000);

/**
 * A body that is not JSON: a type line, then the payload. It stands for whatever Visiwise might
 * send that the package does not expect; `readLineEnvelope` is the fix an app would deploy.
 */
const LINE_BODY = `shipment.tracked\n${JSON.stringify({ trackingReference: 'MSCU1234566' })}`;

const readLineEnvelope = (rawBody: Buffer): VisiwiseEnvelopeInput | undefined => {
  const [type, json] = rawBody.toString('utf8').split('\n', 2);
  return type === undefined || json === undefined
    ? undefined
    : { type, data: JSON.parse(json) as Record<string, unknown> };
};

const idOf = (label: string): string => `msg_${uniqueName(label).replace(/-/g, '_')}`;

const listDeadLetters = (t: WebhookTestApp): Promise<FailedVisiwiseEvent[]> =>
  t.app.get(VisiwiseDeadLetterService).list();

describe.each(ADAPTERS)(
  'a verified delivery is never refused for its content, on %s',
  (adapter) => {
    describe.each(REGISTRATIONS)('registered with %s', (registration) => {
      const secret = generateVisiwiseWebhookSecret();
      let t: WebhookTestApp;

      beforeEach(async () => {
        t = await createWebhookTestApp({ adapter, registration, secret });
      });

      afterEach(async () => {
        await t.close();
      });

      it('hands a payload that misses typed fields to its handlers, with the issues listed', async () => {
        const body = shipmentTracked();
        delete body.data['trackingReference'];
        const id = idOf('issues');
        const response = await sendSigned(t, secret, id, JSON.stringify(body));
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'received' });
        expect(t.handlers.tracked).toHaveLength(1);
        expect(t.handlers.tracked[0]?.id).toBe(id);
        expect(t.handlers.tracked[0]?.issues).toEqual([
          payloadFieldProblem('trackingReference', 'a non-empty string'),
        ]);
      });

      it('gives a clean event an empty list of issues', async () => {
        await sendSigned(t, secret, idOf('clean')).expect(200);
        expect(t.handlers.tracked[0]?.issues).toEqual([]);
      });

      it('answers a signed body that is not JSON 200, emits nothing, and keeps it with its reason', async () => {
        const id = idOf('not_json');
        const response = await sendSigned(t, secret, id, LINE_BODY);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'unparseable' });
        expect(t.handlers.any).toHaveLength(0);

        const [entry, ...rest] = await listDeadLetters(t);
        expect(rest).toHaveLength(0);
        expect(entry).toMatchObject({
          id,
          type: undefined,
          cause: 'unparseable',
          failedReason: invalidJsonMessage(),
          data: {},
        });
        expect(entry?.delivery?.reason).toBe('invalid_json');
        expect(Buffer.from(entry?.delivery?.rawBody ?? '', 'base64').toString()).toBe(LINE_BODY);
        expect(entry?.delivery?.headers['svix-id']).toBe(id);
        expect(entry?.delivery?.headers['svix-signature']).toMatch(/^v1,/);
        expect(t.logger.take('warn', unparseableKeptLogMessage(id, 'invalid_json'))).toHaveLength(
          1,
        );
      });

      it.each([
        ['no type', JSON.stringify({ data: {} }), 'invalid_envelope'],
        [
          'a type that is not a type',
          JSON.stringify({ type: '../x', data: {} }),
          'invalid_event_type',
        ],
        ['an array', '[1,2,3]', 'invalid_envelope'],
        [
          'nesting past maxJsonDepth',
          JSON.stringify({ type: 'x.y', data: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) }),
          'json_too_deep',
        ],
      ])('keeps a signed body with %s as unparseable (%s)', async (_label, body, reason) => {
        const id = idOf('envelope');
        const response = await sendSigned(t, secret, id, body);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'unparseable' });
        const [entry] = await listDeadLetters(t);
        expect(entry?.delivery?.reason).toBe(reason);
        expect(t.handlers.any).toHaveLength(0);
      });

      it('refuses a forged or unsigned body that is not JSON with 401, and keeps nothing', async () => {
        const forged = await request(t.app.getHttpServer())
          .post('/webhooks/visiwise')
          .set('content-type', 'application/json')
          .set({
            ...signVisiwiseWebhook({
              secret: generateVisiwiseWebhookSecret(),
              payload: LINE_BODY,
              id: 'msg_forged',
            }),
          })
          .send(LINE_BODY);
        expect(forged.status).toBe(401);
        expect(forged.body).toMatchObject({ reason: 'invalid_signature' });
        const unsigned = await request(t.app.getHttpServer())
          .post('/webhooks/visiwise')
          .set('content-type', 'application/json')
          .send(LINE_BODY);
        expect(unsigned.status).toBe(401);
        expect(unsigned.body).toMatchObject({ reason: 'missing_headers' });
        expect(await listDeadLetters(t)).toEqual([]);
      });

      it("leaves other routes' bodies to the platform: invalid JSON elsewhere is still a 400", async () => {
        const response = await request(t.app.getHttpServer())
          .post('/elsewhere')
          .set('content-type', 'application/json')
          .send(LINE_BODY);
        // No such route, but the platform's parser answers first, as before.
        expect(response.status).toBe(400);
      });

      it('acknowledges a type no handler takes, and logs it once per type', async () => {
        const body = JSON.stringify({ type: 'shipment.created', data: {} });
        await sendSigned(t, secret, idOf('nobody1'), body).expect(200, { status: 'received' });
        await sendSigned(t, secret, idOf('nobody2'), body).expect(200, { status: 'received' });
        // The wildcard handler takes it: only a type nothing takes is reported as unhandled.
        expect(t.handlers.any).toHaveLength(2);
      });
    });

    it('logs a type that reaches no handler at all once per type and process', async () => {
      const secret = generateVisiwiseWebhookSecret();
      const t = await createWebhookTestApp({ adapter, registration: 'forRoot', secret });
      try {
        // RecordingHandlers has a wildcard handler; remove its listeners to have a truly unhandled type.
        t.app.get(EventEmitter2).removeAllListeners();
        const body = JSON.stringify({ type: 'shipment.created', data: {} });
        await sendSigned(t, secret, idOf('unhandled1'), body).expect(200, { status: 'received' });
        await sendSigned(t, secret, idOf('unhandled2'), body).expect(200, { status: 'received' });
        expect(t.logger.take('warn', 'shipment.created')).toHaveLength(1);
        expect(
          t.logger.take('warn', noHandlerLogMessage('shipment.created', 'default')),
        ).toHaveLength(1);
      } finally {
        await t.close();
      }
    });

    describe("payloadValidation: 'strict'", () => {
      const secret = generateVisiwiseWebhookSecret();
      let t: WebhookTestApp;

      beforeEach(async () => {
        t = await createWebhookTestApp({
          adapter,
          registration: 'forRoot',
          secret,
          moduleOptions: { payloadValidation: 'strict' },
        });
      });

      afterEach(async () => {
        await t.close();
      });

      it('refuses a payload with issues with 400 invalid_payload, naming them', async () => {
        const body = shipmentTracked();
        body.data['trackingReference'] = '';
        const response = await sendSigned(t, secret, idOf('strict'), JSON.stringify(body));
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ reason: 'invalid_payload' });
        expect(String(response.body.message)).toContain(
          payloadFieldProblem('trackingReference', 'a non-empty string'),
        );
        expect(t.handlers.any).toHaveLength(0);
      });

      it('refuses an unusable envelope or a body that is not JSON with 400, keeping nothing', async () => {
        const envelope = await sendSigned(t, secret, idOf('strict'), JSON.stringify({ data: {} }));
        expect(envelope.status).toBe(400);
        expect(envelope.body).toMatchObject({ reason: 'invalid_envelope' });
        const notJson = await sendSigned(t, secret, idOf('strict'), LINE_BODY);
        expect(notJson.status).toBe(400);
        expect(await listDeadLetters(t)).toEqual([]);
      });
    });

    describe('replaying an unparseable delivery in memory', () => {
      it('leaves it in the dead letters while its body is still not an event', async () => {
        const secret = generateVisiwiseWebhookSecret();
        const t = await createWebhookTestApp({ adapter, registration: 'forRoot', secret });
        try {
          const id = idOf('still');
          await sendSigned(t, secret, id, LINE_BODY).expect(200);
          const deadLetters = t.app.get(VisiwiseDeadLetterService);
          expect(await deadLetters.replay(id)).toBe(false);
          expect(await deadLetters.replay('msg_unknown')).toBe(false);
          expect(await deadLetters.count()).toBe(1);
          expect(t.handlers.any).toHaveLength(0);
        } finally {
          await t.close();
        }
      });

      it('delivers a kept body that the readEnvelope option reads, on arrival', async () => {
        const secret = generateVisiwiseWebhookSecret();
        const t = await createWebhookTestApp({
          adapter,
          registration: 'forRoot',
          secret,
          moduleOptions: { readEnvelope: readLineEnvelope },
        });
        try {
          const id = idOf('read');
          await sendSigned(t, secret, id, LINE_BODY).expect(200, { status: 'received' });
          expect(t.handlers.tracked.map((event) => event.id)).toEqual([id]);
          expect(t.handlers.tracked[0]?.data.trackingReference).toBe('MSCU1234566');
          expect(await listDeadLetters(t)).toEqual([]);
        } finally {
          await t.close();
        }
      });
    });
  },
);

describeWithRedis.each(ADAPTERS)('dead letters that outlive the process, on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  const redis = testRedisClient();
  let prefix: string;

  beforeEach(() => {
    prefix = `${uniqueName('dead')}:`;
  });

  afterEach(async () => {
    await deleteKeys(redis, prefix);
  });

  afterAll(async () => {
    await redis.quit();
  });

  it.each(['inline', 'background'] as const)(
    '%s mode: kept in Redis, replayed by an instance that has the fix, and removed',
    async (delivery) => {
      const options: VisiwiseWebhookModuleOptions = {
        delivery,
        redis: REDIS_URL,
        idempotency: { keyPrefix: `${prefix}idem:` },
        deadLetters: { keyPrefix: `${prefix}dl:` },
      };
      const id = idOf('redis');
      const before = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        moduleOptions: options,
      });
      try {
        await sendSigned(before, secret, id, LINE_BODY).expect(200, { status: 'unparseable' });
      } finally {
        await before.close();
      }
      const fixed = await createWebhookTestApp({
        adapter,
        registration: 'forRootAsync',
        secret,
        moduleOptions: { ...options, readEnvelope: readLineEnvelope },
      });
      try {
        const deadLetters = fixed.app.get(VisiwiseDeadLetterService);
        expect((await deadLetters.list()).map((entry) => entry.id)).toEqual([id]);
        expect(await deadLetters.replay(id)).toBe(true);
        await waitFor(() => fixed.handlers.tracked.length === 1, 5000, 'the replayed event');
        expect(fixed.handlers.tracked[0]?.id).toBe(id);
        expect(await deadLetters.count()).toBe(0);
      } finally {
        await fixed.close();
      }
    },
  );

  it('answers 503 when the Redis dead-letter store cannot keep the body, so Svix retries', async () => {
    // A redis-server of this test's own, killed: the store cannot keep anything.
    const server = await TestRedisServer.start();
    const t = await createWebhookTestApp({
      adapter,
      registration: 'forRoot',
      secret,
      moduleOptions: {
        redis: server.url,
        idempotency: { store: 'memory' },
        deadLetters: { keyPrefix: `${prefix}dl:` },
        shutdownTimeoutMs: 2000,
      },
    });
    try {
      await server.kill();
      const response = await sendSigned(t, secret, idOf('refused'), LINE_BODY);
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ reason: 'store_unavailable' });
      t.logger.take('error', 'Lost the connection to Redis');
    } finally {
      await t.close();
      await server.stop();
    }
  });

  describe('queue mode', () => {
    const queueOptions = (name: string): VisiwiseWebhookModuleOptions => ({
      delivery: 'queue',
      redis: REDIS_URL,
      idempotency: { keyPrefix: `${prefix}idem:` },
      queue: { name, prefix: `${prefix}bull`, backoffDelayMs: 100 },
      shutdownTimeoutMs: 3000,
    });

    it('keeps an unparseable body in the failed set, and a fixed instance replays it with retries', async () => {
      const name = uniqueName('unparseable');
      const id = idOf('queue');
      const before = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        moduleOptions: queueOptions(name),
      });
      try {
        await sendSigned(before, secret, id, LINE_BODY).expect(200, { status: 'unparseable' });
        const deadLetters = before.app.get(VisiwiseDeadLetterService);
        await waitFor(async () => (await deadLetters.count()) === 1, 5000, 'the failed job');
        const [entry] = await deadLetters.list();
        expect(entry).toMatchObject({ id, cause: 'unparseable', type: undefined });
        expect(entry?.delivery?.reason).toBe('invalid_json');
        expect(before.handlers.any).toHaveLength(0);
      } finally {
        await before.close();
      }
      const fixed = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        moduleOptions: { ...queueOptions(name), readEnvelope: readLineEnvelope },
      });
      try {
        // Once readable, it is queued as the event it is: a handler failure is retried as usual.
        fixed.handlers.failTimes = 1;
        expect(await fixed.app.get(VisiwiseDeadLetterService).replay(id)).toBe(true);
        await waitFor(() => fixed.handlers.tracked.length === 1, 8000, 'the replayed event');
        expect(fixed.handlers.calls).toEqual([id, id]);
        expect(fixed.handlers.tracked[0]?.data.trackingReference).toBe('MSCU1234566');
        fixed.logger.take('error', 'transient handler failure');
      } finally {
        await fixed.close();
      }
    });

    it.each([
      ['complete', 0],
      ['dead-letter', 1],
    ] as const)(
      "a worker without a handler for the job's type: unhandledJobs '%s'",
      async (unhandledJobs, failed) => {
        const name = uniqueName('unhandled');
        const inspected = new Queue(name, {
          connection: { url: REDIS_URL },
          prefix: `${prefix}bull`,
        });
        const t = await createWebhookTestApp({
          adapter,
          registration: 'forRoot',
          secret,
          moduleOptions: {
            ...queueOptions(name),
            queue: { ...queueOptions(name).queue, name, unhandledJobs },
          },
        });
        try {
          t.app.get(EventEmitter2).removeAllListeners();
          const body = JSON.stringify({ type: 'shipment.created', data: {} });
          await sendSigned(t, secret, idOf('unhandled1'), body).expect(200);
          await sendSigned(t, secret, idOf('unhandled2'), body).expect(200);
          const message = unhandledJobLogMessage(
            'shipment.created',
            unhandledJobs === 'dead-letter',
          );
          await waitFor(
            async () => {
              const counts = await inspected.getJobCounts('completed', 'failed');
              return (counts['completed'] ?? 0) + (counts['failed'] ?? 0) === 2;
            },
            8000,
            'both jobs to finish',
          );
          const deadLetters = t.app.get(VisiwiseDeadLetterService);
          expect(await deadLetters.count()).toBe(failed * 2);
          if (failed > 0) {
            const entries = await deadLetters.list();
            expect(entries.map((entry) => entry.cause)).toEqual(['no_handler', 'no_handler']);
          }
          expect(t.logger.take('warn', message)).toHaveLength(1);
        } finally {
          await t.close();
          await inspected.close();
        }
      },
    );
  });
});
