import { DynamicModule, Injectable } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Queue } from 'bullmq';
import {
  AnyVisiwiseEvent,
  OnVisiwiseEvent,
  VisiwiseConfigurationError,
  VisiwiseDeadLetterService,
  VisiwiseEndpointOptions,
  VisiwiseEvent,
  VisiwiseWebhookEndpoints,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleExtras,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import {
  buildShipmentContainerMovement,
  generateVisiwiseWebhookSecret,
} from 'nestjs-visiwise-webhook/testing';
import { Registry } from 'prom-client';
import { jobFailedLogMessage } from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import {
  duplicateEndpointPathMessage,
  endpointSecretMissingMessage,
  invalidEndpointNameMessage,
  invalidTenantOptionsMessage,
  noEndpointsMessage,
  secretAndTenantsMessage,
  unknownEndpointMessage,
  unknownEndpointNameMessage,
} from '../libs/visiwise-webhook/src/endpoints/endpoints.messages';
import { noHandlerLogMessage } from '../libs/visiwise-webhook/src/events/events.messages';
import { ADAPTERS } from './support/adapters';
import { EndpointsTestApp, bootError, startEndpointsApp } from './support/endpoints-test-app';
import { parseExposition, valueOf } from './support/prometheus';
import {
  REDIS_URL,
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniqueName,
  waitFor,
} from './support/redis';
import { REGISTRATIONS, Registration } from './support/webhook-test-app';

// Queue scenarios wait on real BullMQ workers and retries.
jest.setTimeout(30_000);

const ENV = 'VISIWISE_WEBHOOK_SECRET';
const BASE = '/webhooks/visiwise';

/** What a handler saw of an event: where it came from and which delivery it was. */
interface Seen {
  readonly endpoint: string;
  readonly tenant: string | undefined;
  readonly id: string;
}

const seen = (event: AnyVisiwiseEvent): Seen => ({
  endpoint: event.endpoint,
  tenant: event.tenant,
  id: event.id,
});

/** One handler of every endpoint's shipment.tracked, which can be told to fail on one endpoint. */
@Injectable()
class EndpointRecorder {
  readonly tracked: Seen[] = [];
  /** Events of this endpoint make the handler throw. */
  failOn: string | undefined;

  @OnVisiwiseEvent('shipment.tracked')
  onTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    if (event.endpoint === this.failOn) {
      throw new Error(`the ${event.endpoint} carrier API rejected the update`);
    }
    this.tracked.push(seen(event));
  }
}

/** Handlers limited to some endpoints, next to one that takes every endpoint's events. */
@Injectable()
class FilteredHandlers {
  readonly euOnly: Seen[] = [];
  readonly euAndUs: Seen[] = [];
  readonly everyEndpoint: Seen[] = [];
  readonly usWildcard: Seen[] = [];

  @OnVisiwiseEvent('shipment.tracked', { endpoint: 'eu' })
  onEuTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    this.euOnly.push(seen(event));
  }

  @OnVisiwiseEvent('shipment.tracked', { endpoint: ['eu', 'us'] })
  onEuOrUsTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    this.euAndUs.push(seen(event));
  }

  @OnVisiwiseEvent('shipment.tracked')
  onTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    this.everyEndpoint.push(seen(event));
  }

  @OnVisiwiseEvent('*', { endpoint: 'us' })
  onAnyUsEvent(event: AnyVisiwiseEvent): void {
    this.usWildcard.push(seen(event));
  }
}

/** The only handler of container movements takes eu's. */
@Injectable()
class EuMovementHandler {
  readonly movements: Seen[] = [];

  @OnVisiwiseEvent('shipment.container_movement', { endpoint: 'eu' })
  onMovement(event: VisiwiseEvent<'shipment.container_movement'>): void {
    this.movements.push(seen(event));
  }
}

/**
 * The module as an application registers it: `forRoot` with the options, or `forRootAsync` whose
 * factory reads the endpoints from ConfigService and resolves only after Nest registered the routes.
 */
function register(
  registration: Registration,
  options: VisiwiseWebhookModuleOptions,
  extras: VisiwiseWebhookModuleExtras = {},
): DynamicModule {
  if (registration === 'forRoot') {
    return VisiwiseWebhookModule.forRoot({ ...options, ...extras });
  }
  const { endpoints, ...shared } = options;
  return VisiwiseWebhookModule.forRootAsync({
    ...extras,
    imports: [
      ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ visiwise: { endpoints } })] }),
    ],
    inject: [ConfigService],
    useFactory: async (config: ConfigService) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {
        ...shared,
        endpoints: config.getOrThrow<Record<string, VisiwiseEndpointOptions>>('visiwise.endpoints'),
      };
    },
  });
}

const tracked = (endpoint: string, id: string): Seen => ({ endpoint, tenant: undefined, id });

describe.each(ADAPTERS)('named endpoints on %s', (adapter) => {
  const eu = generateVisiwiseWebhookSecret();
  const us = generateVisiwiseWebhookSecret();
  const apac = generateVisiwiseWebhookSecret();
  let apps: EndpointsTestApp[];

  const start = async (
    registration: DynamicModule,
    providers: (typeof EndpointRecorder | typeof FilteredHandlers | typeof EuMovementHandler)[] = [
      EndpointRecorder,
    ],
  ) => {
    const t = await startEndpointsApp(adapter, registration, providers);
    apps.push(t);
    return t;
  };

  beforeEach(() => {
    apps = [];
  });

  afterEach(async () => {
    for (const t of apps) {
      await t.close();
    }
    for (const t of apps) {
      t.logger.assertNoUnexpected();
    }
  });

  describe.each(REGISTRATIONS)('registered with %s', (registration) => {
    const threeEndpoints: VisiwiseWebhookModuleOptions = {
      endpoints: {
        eu: { secret: eu },
        us: { secret: us },
        apac: { secret: apac, path: 'asia-pacific' },
      },
    };

    it('accepts on each endpoint its own secret only, and tells handlers which endpoint it was', async () => {
      const t = await start(register(registration, threeEndpoints));

      await t.send(`${BASE}/eu`, eu, { id: 'msg_eu_own' }).expect(200, { status: 'received' });
      await t.send(`${BASE}/us`, us, { id: 'msg_us_own' }).expect(200, { status: 'received' });
      for (const [path, wrong] of [
        [`${BASE}/eu`, us],
        [`${BASE}/us`, eu],
        [`${BASE}/eu`, apac],
      ] as const) {
        const refused = await t.send(path, wrong, { id: 'msg_cross' });
        expect(refused.status).toBe(401);
        expect(refused.body).toMatchObject({ statusCode: 401, reason: 'invalid_signature' });
      }

      expect(t.get(EndpointRecorder).tracked).toEqual([
        tracked('eu', 'msg_eu_own'),
        tracked('us', 'msg_us_own'),
      ]);
    });

    it('answers 404 unknown_endpoint for an undeclared segment, the bare path and extra segments', async () => {
      const t = await start(register(registration, threeEndpoints));

      for (const path of [
        `${BASE}/ap`,
        BASE,
        // A tenant segment under an endpoint without tenants.
        `${BASE}/eu/acme`,
        // An endpoint whose `path` is overridden is not also mounted under its name.
        `${BASE}/apac`,
      ]) {
        // Correctly signed for eu: the route, not the signature, decides.
        const response = await t.send(path, eu);
        expect({ path, status: response.status, body: response.body as unknown }).toEqual({
          path,
          status: 404,
          body: {
            statusCode: 404,
            error: 'Not Found',
            reason: 'unknown_endpoint',
            message: unknownEndpointMessage(),
          },
        });
      }
      expect(t.get(EndpointRecorder).tracked).toEqual([]);
    });

    it('mounts an endpoint with a `path` at that segment, under a custom module path too', async () => {
      const t = await start(register(registration, threeEndpoints, { path: 'hooks/carriers' }));

      await t
        .send('/hooks/carriers/asia-pacific', apac, { id: 'msg_apac' })
        .expect(200, { status: 'received' });
      await t.send('/hooks/carriers/eu', eu, { id: 'msg_eu' }).expect(200);
      // Nothing is left at the default path.
      expect((await t.send(`${BASE}/eu`, eu)).status).toBe(404);

      expect(t.get(EndpointRecorder).tracked).toEqual([
        tracked('apac', 'msg_apac'),
        tracked('eu', 'msg_eu'),
      ]);
      expect(t.get(VisiwiseWebhookEndpoints).list()).toEqual([
        { name: 'eu', path: 'eu', tenants: false, delivery: 'inline' },
        { name: 'us', path: 'us', tenants: false, delivery: 'inline' },
        { name: 'apac', path: 'asia-pacific', tenants: false, delivery: 'inline' },
      ]);
    });

    it('handles the same svix-id once on each endpoint, and a repeat on one as a duplicate', async () => {
      const t = await start(register(registration, threeEndpoints));

      await t.send(`${BASE}/eu`, eu, { id: 'msg_both' }).expect(200, { status: 'received' });
      await t.send(`${BASE}/us`, us, { id: 'msg_both' }).expect(200, { status: 'received' });
      await t.send(`${BASE}/eu`, eu, { id: 'msg_both' }).expect(200, { status: 'duplicate' });
      await t.send(`${BASE}/us`, us, { id: 'msg_both' }).expect(200, { status: 'duplicate' });

      expect(t.get(EndpointRecorder).tracked).toEqual([
        tracked('eu', 'msg_both'),
        tracked('us', 'msg_both'),
      ]);
    });

    it('hands an event only to the handlers of its endpoint, and to the unfiltered ones', async () => {
      const t = await start(register(registration, threeEndpoints), [FilteredHandlers]);
      const movement = JSON.stringify(buildShipmentContainerMovement());

      await t.send(`${BASE}/eu`, eu, { id: 'msg_f_eu' }).expect(200);
      await t.send(`${BASE}/us`, us, { id: 'msg_f_us' }).expect(200);
      await t.send(`${BASE}/asia-pacific`, apac, { id: 'msg_f_apac' }).expect(200);
      await t.send(`${BASE}/us`, us, { id: 'msg_f_us_move', body: movement }).expect(200);

      const handlers = t.get(FilteredHandlers);
      expect(handlers.euOnly).toEqual([tracked('eu', 'msg_f_eu')]);
      expect(handlers.euAndUs).toEqual([tracked('eu', 'msg_f_eu'), tracked('us', 'msg_f_us')]);
      expect(handlers.everyEndpoint).toEqual([
        tracked('eu', 'msg_f_eu'),
        tracked('us', 'msg_f_us'),
        tracked('apac', 'msg_f_apac'),
      ]);
      expect(handlers.usWildcard).toEqual([
        tracked('us', 'msg_f_us'),
        tracked('us', 'msg_f_us_move'),
      ]);
    });

    it("logs a type whose only handler takes another endpoint's events as unhandled on this one", async () => {
      const t = await start(register(registration, threeEndpoints), [
        EuMovementHandler,
        EndpointRecorder,
      ]);
      const movement = JSON.stringify(buildShipmentContainerMovement());

      await t.send(`${BASE}/us`, us, { id: 'msg_move_us', body: movement }).expect(200, {
        status: 'received',
      });
      await t.send(`${BASE}/eu`, eu, { id: 'msg_move_eu', body: movement }).expect(200, {
        status: 'received',
      });

      expect(t.get(EuMovementHandler).movements).toEqual([tracked('eu', 'msg_move_eu')]);
      expect(
        t.logger.take('warn', noHandlerLogMessage('shipment.container_movement', 'us')),
      ).toHaveLength(1);
      // Nothing about eu, which has its handler.
      expect(t.logger.take('warn', 'of endpoint "eu"')).toHaveLength(0);
    });
  });

  describe('configuration mistakes fail the start, naming the fix', () => {
    const saved = process.env[ENV];
    afterEach(() => {
      if (saved === undefined) Reflect.deleteProperty(process.env, ENV);
      else process.env[ENV] = saved;
    });

    const resolveSecret = () => undefined;
    const cases: [string, VisiwiseWebhookModuleOptions, string][] = [
      [
        'two endpoints sharing a path (case aside)',
        { endpoints: { eu: { secret: eu, path: 'shared' }, us: { secret: us, path: 'Shared' } } },
        duplicateEndpointPathMessage('eu', 'us', 'Shared'),
      ],
      [
        "an endpoint whose path is another's name",
        { endpoints: { eu: { secret: eu }, europe: { secret: us, path: 'eu' } } },
        duplicateEndpointPathMessage('eu', 'europe', 'eu'),
      ],
      [
        'an invalid endpoint name',
        { endpoints: { 'eu:west': { secret: eu } } },
        invalidEndpointNameMessage('eu:west'),
      ],
      ['no endpoint', { endpoints: {} }, noEndpointsMessage()],
      [
        'an endpoint with both a secret and tenants',
        { endpoints: { eu: { secret: eu, tenants: { resolveSecret } } } },
        secretAndTenantsMessage('Endpoint "eu"'),
      ],
      [
        'an endpoint without a secret (and no module secret or environment variable)',
        { endpoints: { eu: { secret: eu }, us: {} } },
        endpointSecretMissingMessage('us'),
      ],
      [
        'tenants whose resolveSecret is not a function',
        {
          endpoints: { eu: { tenants: { resolveSecret: 'SELECT secret FROM tenants' as never } } },
        },
        invalidTenantOptionsMessage('Endpoint "eu"', 'resolveSecret'),
      ],
    ];

    describe.each(REGISTRATIONS)('registered with %s', (registration) => {
      it.each(cases)('%s', async (_name, options, message) => {
        Reflect.deleteProperty(process.env, ENV);

        const error = await bootError(adapter, register(registration, options));

        expect(error).toBeInstanceOf(VisiwiseConfigurationError);
        expect((error as Error).message).toBe(message);
        expect((error as Error).message).not.toContain(eu.slice(6));
      });
    });

    it('gives an endpoint without a secret the module secret, or VISIWISE_WEBHOOK_SECRET', async () => {
      const shared = generateVisiwiseWebhookSecret();
      const fromModule = await start(
        VisiwiseWebhookModule.forRoot({
          secret: shared,
          endpoints: { eu: {}, us: { secret: us } },
        }),
      );
      await fromModule.send(`${BASE}/eu`, shared).expect(200);
      expect((await fromModule.send(`${BASE}/us`, shared)).status).toBe(401);

      process.env[ENV] = shared;
      const fromEnv = await start(
        VisiwiseWebhookModule.forRoot({ endpoints: { eu: {}, us: { secret: us } } }),
      );
      await fromEnv.send(`${BASE}/eu`, shared).expect(200);
      await fromEnv.send(`${BASE}/us`, us).expect(200);
    });
  });

  it("keeps unparseable deliveries in their endpoint's dead letters, with the tenant, and replays them there", async () => {
    const acme = generateVisiwiseWebhookSecret();
    let readable = false;
    const t = await start(
      VisiwiseWebhookModule.forRoot({
        endpoints: {
          eu: { secret: eu },
          saas: { tenants: { resolveSecret: (tenant) => (tenant === 'acme' ? acme : undefined) } },
        },
        // A body format the built-in reader does not know, readable once "fixed".
        readEnvelope: (rawBody) =>
          readable
            ? {
                type: 'shipment.tracked',
                data: { trackingReference: rawBody.toString().slice(10) },
              }
            : undefined,
      }),
    );
    const body = 'reference=MSCU1234566';

    await t.send(`${BASE}/eu`, eu, { id: 'msg_u', body }).expect(200, { status: 'unparseable' });
    await t
      .send(`${BASE}/saas/acme`, acme, { id: 'msg_u', body })
      .expect(200, { status: 'unparseable' });
    expect(t.logger.take('warn', 'msg_u is signed but could not be read')).toHaveLength(2);

    const deadLetters = t.get(VisiwiseDeadLetterService);
    const entry = (endpoint: string, tenant: string | undefined) =>
      expect.objectContaining({ id: 'msg_u', endpoint, tenant, cause: 'unparseable' }) as unknown;
    expect(await deadLetters.list({ endpoint: 'eu' })).toEqual([entry('eu', undefined)]);
    expect(await deadLetters.list({ endpoint: 'saas' })).toEqual([entry('saas', 'acme')]);
    expect(await deadLetters.count()).toBe(2);

    readable = true;
    expect(await deadLetters.replay('msg_u', { endpoint: 'saas', tenant: 'globex' })).toBe(false);
    expect(await deadLetters.replay('msg_u', { endpoint: 'saas', tenant: 'acme' })).toBe(true);
    expect(t.get(EndpointRecorder).tracked).toEqual([
      { endpoint: 'saas', tenant: 'acme', id: 'msg_u' },
    ]);
    expect(await deadLetters.count({ endpoint: 'saas' })).toBe(0);
    expect(await deadLetters.count({ endpoint: 'eu' })).toBe(1);
  });

  describe('metrics (a fresh prom-client registry)', () => {
    const deliveries = 'visiwise_webhook_deliveries_total';
    const tenantSecret = generateVisiwiseWebhookSecret();
    const tenants = {
      resolveSecret: (tenant: string) => (tenant === 'acme' ? tenantSecret : undefined),
    };

    const startMeasured = async (tenantLabel?: boolean) => {
      const registry = new Registry();
      const t = await start(
        VisiwiseWebhookModule.forRoot({
          endpoints: { eu: { secret: eu }, us: { secret: us }, saas: { tenants } },
          metrics: { registry, ...(tenantLabel === undefined ? {} : { tenantLabel }) },
        }),
      );
      const scrape = async () => parseExposition(await registry.metrics());
      return { t, scrape };
    };

    it('labels every answer with its endpoint, and a request to no endpoint with "none"', async () => {
      const { t, scrape } = await startMeasured();

      await t.send(`${BASE}/eu`, eu, { id: 'msg_m_eu' }).expect(200);
      await t.send(`${BASE}/eu`, eu, { id: 'msg_m_eu' }).expect(200, { status: 'duplicate' });
      await t.send(`${BASE}/us`, us, { id: 'msg_m_us' }).expect(200);
      await t.send(`${BASE}/us`, eu).expect(401);
      await t.send(`${BASE}/ap`, eu).expect(404);
      await t.send(BASE, eu).expect(404);

      const samples = await scrape();
      const count = (labels: Record<string, string>) => valueOf(samples, deliveries, labels);
      expect(count({ endpoint: 'eu', outcome: 'accepted', type: 'shipment.tracked' })).toBe(1);
      expect(count({ endpoint: 'eu', outcome: 'duplicate' })).toBe(1);
      expect(count({ endpoint: 'us', outcome: 'accepted' })).toBe(1);
      expect(count({ endpoint: 'us', outcome: 'rejected', reason: 'invalid_signature' })).toBe(1);
      expect(count({ endpoint: 'none', outcome: 'rejected', reason: 'unknown_endpoint' })).toBe(2);
      expect(count({})).toBe(6);
      expect(
        valueOf(samples, 'visiwise_webhook_handler_duration_seconds_count', { endpoint: 'eu' }),
      ).toBe(1);
    });

    it('adds no tenant label unless metrics.tenantLabel is set', async () => {
      const { t, scrape } = await startMeasured();

      await t.send(`${BASE}/saas/acme`, tenantSecret).expect(200);

      const samples = (await scrape()).filter((sample) => sample.name === deliveries);
      expect(samples).toHaveLength(1);
      expect(samples[0]!.labels).toEqual({
        outcome: 'accepted',
        reason: 'none',
        type: 'shipment.tracked',
        endpoint: 'saas',
      });
    });

    it('labels deliveries with their tenant under metrics.tenantLabel', async () => {
      const { t, scrape } = await startMeasured(true);

      await t.send(`${BASE}/saas/acme`, tenantSecret).expect(200);
      await t.send(`${BASE}/eu`, eu).expect(200);

      const samples = await scrape();
      expect(valueOf(samples, deliveries, { endpoint: 'saas', tenant: 'acme' })).toBe(1);
      // Endpoints without tenants carry an empty tenant.
      expect(valueOf(samples, deliveries, { endpoint: 'eu', tenant: '' })).toBe(1);
    });

    it('labels only verified deliveries with their tenant: guessed tenant ids add no series', async () => {
      const { t, scrape } = await startMeasured(true);

      for (let i = 0; i < 30; i++) {
        await t.send(`${BASE}/saas/guess-${i}`, generateVisiwiseWebhookSecret()).expect(401);
      }
      // A known tenant's refusal is refused before verification too.
      await t.send(`${BASE}/saas/acme`, eu).expect(401);
      await t.send(`${BASE}/saas/acme`, tenantSecret).expect(200);

      const samples = (await scrape()).filter((sample) => sample.name === deliveries);
      expect(samples.map((sample) => sample.labels['tenant']).sort()).toEqual(['', 'acme']);
      expect(valueOf(samples, deliveries, { tenant: '', reason: 'invalid_signature' })).toBe(31);
    });
  });

  describeWithRedis('queue mode (real Redis, real BullMQ)', () => {
    let name: string;
    let idempotencyPrefix: string;
    let deadLetterPrefix: string;

    const queueOptions = (
      overrides: { worker?: boolean; endpoints?: VisiwiseWebhookModuleOptions['endpoints'] } = {},
    ): VisiwiseWebhookModuleOptions => ({
      delivery: 'queue',
      redis: REDIS_URL,
      idempotency: { keyPrefix: idempotencyPrefix },
      deadLetters: { keyPrefix: deadLetterPrefix },
      queue: {
        name,
        worker: overrides.worker ?? true,
        attempts: 2,
        backoffDelayMs: 50,
        enqueueTimeoutMs: 2000,
      },
      shutdownTimeoutMs: 5000,
      endpoints: overrides.endpoints ?? { eu: { secret: eu }, us: { secret: us } },
    });

    /** Opens a queue by name for inspection; closed after `use`. */
    const withQueue = async <T>(queueName: string, use: (queue: Queue) => Promise<T>) => {
      const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
      try {
        return await use(queue);
      } finally {
        await queue.close();
      }
    };

    beforeEach(() => {
      name = uniqueName('endpoints');
      idempotencyPrefix = `${uniqueName('idem')}:`;
      deadLetterPrefix = `${uniqueName('dead')}:`;
    });

    afterEach(async () => {
      for (const t of apps.splice(0)) {
        await t.close();
        t.logger.assertNoUnexpected();
      }
      for (const queueName of [name, `${name}-eu`, `${name}-us`, `${name}-saas`]) {
        await withQueue(queueName, (queue) => queue.obliterate({ force: true }));
      }
      const client = testRedisClient();
      await deleteKeys(client, idempotencyPrefix);
      await deleteKeys(client, deadLetterPrefix);
      await client.quit();
    });

    it("puts each endpoint's deliveries in its own queue; the same svix-id is one job on each", async () => {
      const receiver = await start(register('forRoot', queueOptions({ worker: false })));

      await receiver.send(`${BASE}/eu`, eu, { id: 'msg_q_both' }).expect(200, {
        status: 'received',
      });
      await receiver.send(`${BASE}/us`, us, { id: 'msg_q_both' }).expect(200, {
        status: 'received',
      });

      for (const endpoint of ['eu', 'us']) {
        await withQueue(`${name}-${endpoint}`, async (queue) => {
          const job = await queue.getJob('msg_q_both');
          expect(job?.data).toMatchObject({ id: 'msg_q_both', endpoint });
          expect(await job?.getState()).toBe('waiting');
          expect(await queue.getWaitingCount()).toBe(1);
        });
      }
      // The module's queue name is only the stem of the endpoints' queues.
      await withQueue(name, async (queue) => {
        expect(await queue.getWaitingCount()).toBe(0);
      });
      expect(receiver.get(EndpointRecorder).tracked).toEqual([]);

      // A worker instance, configured through ConfigService, handles both jobs.
      const worker = await start(register('forRootAsync', queueOptions()));
      const handled = worker.get(EndpointRecorder).tracked;
      await waitFor(() => handled.length === 2, 10_000, 'both jobs to be handled');
      expect([...handled].sort((a, b) => a.endpoint.localeCompare(b.endpoint))).toEqual([
        tracked('eu', 'msg_q_both'),
        tracked('us', 'msg_q_both'),
      ]);
    });

    it("keeps a job that fails on eu in eu's failed set only; lists, counts and replays by endpoint", async () => {
      const t = await start(register('forRoot', queueOptions()));
      const recorder = t.get(EndpointRecorder);
      const deadLetters = t.get(VisiwiseDeadLetterService);
      recorder.failOn = 'eu';

      await t.send(`${BASE}/eu`, eu, { id: 'msg_q_fail' }).expect(200);
      await t.send(`${BASE}/us`, us, { id: 'msg_q_fail' }).expect(200);

      await waitFor(
        async () => (await deadLetters.count({ endpoint: 'eu' })) === 1,
        15_000,
        "eu's job to fail for good",
      );
      await waitFor(() => recorder.tracked.length === 1, 10_000, "us's job to be handled");
      expect(recorder.tracked).toEqual([tracked('us', 'msg_q_fail')]);
      expect(await deadLetters.count({ endpoint: 'us' })).toBe(0);
      expect(await deadLetters.list({ endpoint: 'us' })).toEqual([]);
      expect(await deadLetters.list({ endpoint: 'eu' })).toEqual([
        expect.objectContaining({
          id: 'msg_q_fail',
          endpoint: 'eu',
          tenant: undefined,
          type: 'shipment.tracked',
          cause: 'failed',
          attemptsMade: 2,
          failedReason: expect.stringContaining('the eu carrier API rejected') as unknown,
        }),
      ]);
      await withQueue(`${name}-eu`, async (queue) => {
        expect(await queue.getFailedCount()).toBe(1);
      });
      await withQueue(`${name}-us`, async (queue) => {
        expect(await queue.getFailedCount()).toBe(0);
      });
      for (const attempt of [1, 2]) {
        expect(
          t.logger.take('error', jobFailedLogMessage('msg_q_fail', 'shipment.tracked', attempt, 2)),
        ).toHaveLength(1);
      }

      // A failure on us too: the unfiltered list merges both, most recent first.
      recorder.failOn = 'us';
      await t.send(`${BASE}/us`, us, { id: 'msg_q_fail_us' }).expect(200);
      await waitFor(
        async () => (await deadLetters.count({ endpoint: 'us' })) === 1,
        15_000,
        "us's job to fail for good",
      );
      for (const attempt of [1, 2]) {
        t.logger.take(
          'error',
          jobFailedLogMessage('msg_q_fail_us', 'shipment.tracked', attempt, 2),
        );
      }
      expect(await deadLetters.count()).toBe(2);
      expect((await deadLetters.list()).map(({ id, endpoint }) => [id, endpoint])).toEqual([
        ['msg_q_fail_us', 'us'],
        ['msg_q_fail', 'eu'],
      ]);

      // Fixed: replay eu's. us has no entry of that id; eu's goes back to eu's queue only.
      recorder.failOn = undefined;
      expect(await deadLetters.replay('msg_q_fail', { endpoint: 'us' })).toBe(false);
      expect(await deadLetters.replay('msg_q_fail', { endpoint: 'eu' })).toBe(true);
      await waitFor(() => recorder.tracked.length === 2, 10_000, 'the replayed job');
      expect(recorder.tracked[1]).toEqual(tracked('eu', 'msg_q_fail'));
      expect(await deadLetters.count({ endpoint: 'eu' })).toBe(0);
      expect(await deadLetters.count({ endpoint: 'us' })).toBe(1);

      await expect(deadLetters.list({ endpoint: 'ap' })).rejects.toThrow(
        unknownEndpointNameMessage('ap', ['eu', 'us']),
      );
    });

    it("keys a tenant endpoint's jobs by tenant and svix-id, and replays one tenant's", async () => {
      const acme = generateVisiwiseWebhookSecret();
      const globex = generateVisiwiseWebhookSecret();
      const secrets = new Map([
        ['acme', acme],
        ['globex', globex],
      ]);
      const t = await start(
        register(
          'forRoot',
          queueOptions({
            endpoints: { saas: { tenants: { resolveSecret: (tenant) => secrets.get(tenant) } } },
          }),
        ),
      );
      const recorder = t.get(EndpointRecorder);
      const deadLetters = t.get(VisiwiseDeadLetterService);
      recorder.failOn = 'saas';

      await t.send(`${BASE}/saas/acme`, acme, { id: 'msg_qt' }).expect(200);
      await t.send(`${BASE}/saas/globex`, globex, { id: 'msg_qt' }).expect(200);

      await waitFor(
        async () => (await deadLetters.count({ endpoint: 'saas' })) === 2,
        15_000,
        "both tenants' jobs to fail for good",
      );
      // One line per tenant and attempt, naming the endpoint and the tenant.
      for (const attempt of [1, 2]) {
        for (const tenant of ['acme', 'globex']) {
          expect(
            t.logger.take(
              'error',
              jobFailedLogMessage('msg_qt', 'shipment.tracked', attempt, 2, {
                endpoint: 'saas',
                tenant,
              }),
            ),
          ).toHaveLength(1);
        }
      }
      for (const tenant of ['acme', 'globex']) {
        await withQueue(`${name}-saas`, async (queue) => {
          const job = await queue.getJob(`${tenant}_msg_qt`);
          expect(job?.data).toMatchObject({ id: 'msg_qt', endpoint: 'saas', tenant });
        });
      }
      expect(
        (await deadLetters.list({ endpoint: 'saas' })).map((entry) => entry.tenant).sort(),
      ).toEqual(['acme', 'globex']);

      recorder.failOn = undefined;
      expect(await deadLetters.replay('msg_qt', { endpoint: 'saas', tenant: 'globex' })).toBe(true);
      await waitFor(() => recorder.tracked.length === 1, 10_000, "globex's replayed job");
      expect(recorder.tracked).toEqual([{ endpoint: 'saas', tenant: 'globex', id: 'msg_qt' }]);
      expect((await deadLetters.list()).map((entry) => entry.tenant)).toEqual(['acme']);
    });

    it('runs an inline endpoint and a queue endpoint side by side', async () => {
      const options = queueOptions({
        endpoints: { eu: { secret: eu, delivery: 'inline' }, us: { secret: us } },
      });
      const t = await start(register('forRoot', options));
      const recorder = t.get(EndpointRecorder);

      // Inline: handled before the answer.
      await t.send(`${BASE}/eu`, eu, { id: 'msg_mixed' }).expect(200, { status: 'received' });
      expect(recorder.tracked).toEqual([tracked('eu', 'msg_mixed')]);
      await t.send(`${BASE}/eu`, eu, { id: 'msg_mixed' }).expect(200, { status: 'duplicate' });
      // Its claim is in Redis under its own namespace.
      const client = testRedisClient();
      try {
        expect(await client.exists(`${idempotencyPrefix}eu:msg_mixed`)).toBe(1);
      } finally {
        await client.quit();
      }

      // Queue: a job in us's queue, handled by the worker.
      await t.send(`${BASE}/us`, us, { id: 'msg_mixed' }).expect(200, { status: 'received' });
      await waitFor(() => recorder.tracked.length === 2, 10_000, "us's job to be handled");
      expect(recorder.tracked[1]).toEqual(tracked('us', 'msg_mixed'));
      await withQueue(`${name}-us`, async (queue) => {
        expect(await (await queue.getJob('msg_mixed'))?.getState()).toBe('completed');
      });
      await withQueue(`${name}-eu`, async (queue) => {
        expect(await queue.getJob('msg_mixed')).toBeUndefined();
      });
      expect(
        t
          .get(VisiwiseWebhookEndpoints)
          .list()
          .map((e) => [e.name, e.delivery]),
      ).toEqual([
        ['eu', 'inline'],
        ['us', 'queue'],
      ]);
    });
  });
});
