import { Controller, Get, INestApplication, Injectable } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseHealthIndicator,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { Registry } from 'prom-client';
import request from 'supertest';
import { ADAPTERS, AdapterName, createHttpApp } from './support/adapters';
import { Sample, parseExposition, valueOf } from './support/prometheus';
import { CapturingLogger } from './support/capturing-logger';
import { shipmentTracked } from './support/payloads';
import {
  REDIS_URL,
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniqueName,
  waitFor,
} from './support/redis';

jest.setTimeout(30_000);

@Injectable()
class TrackedHandler {
  readonly seen: string[] = [];
  failNext = false;

  @OnVisiwiseEvent('shipment.tracked')
  async onTracked(event: VisiwiseEvent<'shipment.tracked'>): Promise<void> {
    await Promise.resolve();
    if (this.failNext) {
      this.failNext = false;
      throw new Error('downstream unavailable');
    }
    // A span the application makes inside its handler nests under the module's handler span.
    api.trace.getTracer('app').startActiveSpan('app.update-shipment', (span) => {
      span.end();
    });
    this.seen.push(event.id);
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly visiwise: VisiwiseHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.visiwise.isHealthy()]);
  }

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.visiwise.isLive()]);
  }
}

interface ObservedApp {
  readonly app: INestApplication;
  readonly handler: TrackedHandler;
  readonly registry: Registry;
  readonly logger: CapturingLogger;
  scrape(): Promise<Sample[]>;
  send(id: string, options?: { body?: string; secret?: string; timestamp?: number }): request.Test;
}

async function startApp(
  adapter: AdapterName,
  secret: string,
  options: Omit<VisiwiseWebhookModuleOptions, 'secret' | 'metrics'> = {},
): Promise<ObservedApp> {
  const registry = new Registry();
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventEmitterModule.forRoot(),
      TerminusModule,
      VisiwiseWebhookModule.forRoot({ ...options, secret, metrics: { registry } }),
    ],
    controllers: [HealthController],
    providers: [TrackedHandler],
  })
    .setLogger(logger)
    .compile();
  const app = await createHttpApp(moduleRef, adapter, { logger });
  return {
    app,
    handler: app.get(TrackedHandler),
    registry,
    logger,
    scrape: async () => parseExposition(await registry.metrics()),
    send: (
      id,
      { body = JSON.stringify(shipmentTracked()), secret: signWith = secret, timestamp } = {},
    ) =>
      request(app.getHttpServer())
        .post('/webhooks/visiwise')
        .set('content-type', 'application/json')
        .set({ ...signVisiwiseWebhook({ secret: signWith, payload: body, id, timestamp }) })
        .send(body),
  };
}

describe.each(ADAPTERS)('metrics over HTTP on %s (real prom-client registry)', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  let t: ObservedApp;

  beforeEach(async () => {
    t = await startApp(adapter, secret);
  });

  afterEach(async () => {
    await t.app.close();
  });

  it('counts every answer by outcome, reason and bounded type, and parses as Prometheus text', async () => {
    await t.send('msg_m1').expect(200, { status: 'received' });
    await t.send('msg_m2').expect(200, { status: 'received' });
    await t.send('msg_m1').expect(200, { status: 'duplicate' });
    await t.send('msg_m3', { secret: generateVisiwiseWebhookSecret() }).expect(401);
    await t.send('msg_m4', { timestamp: Math.floor(Date.now() / 1000) - 3600 }).expect(401);
    await t.send('msg_m5', { body: 'not json' }).expect(200, { status: 'unparseable' });
    // A type from the sender that no handler takes folds into `other`.
    await t
      .send('msg_m6', { body: JSON.stringify({ type: 'x.nobody-knows', data: {} }) })
      .expect(200);
    t.handler.failNext = true;
    await t.send('msg_m7').expect(500);
    t.logger.take('error', 'downstream unavailable');
    t.logger.take('warn', 'could not be read as an event');
    t.logger.take('warn', 'x.nobody-knows');

    const samples = await t.scrape();
    const deliveries = 'visiwise_webhook_deliveries_total';
    expect(valueOf(samples, deliveries, { outcome: 'accepted', type: 'shipment.tracked' })).toBe(2);
    expect(valueOf(samples, deliveries, { outcome: 'accepted', type: 'other' })).toBe(1);
    expect(valueOf(samples, deliveries, { outcome: 'duplicate', type: 'shipment.tracked' })).toBe(
      1,
    );
    expect(valueOf(samples, deliveries, { outcome: 'rejected', reason: 'invalid_signature' })).toBe(
      1,
    );
    expect(valueOf(samples, deliveries, { outcome: 'rejected', reason: 'timestamp_too_old' })).toBe(
      1,
    );
    expect(valueOf(samples, deliveries, { outcome: 'rejected', reason: 'handler_failed' })).toBe(1);
    expect(valueOf(samples, deliveries, { outcome: 'unparseable', reason: 'invalid_json' })).toBe(
      1,
    );
    expect(valueOf(samples, deliveries)).toBe(8);
    // Lag is observed for each delivery whose timestamp verified (not the two refused by the guard).
    expect(valueOf(samples, 'visiwise_webhook_delivery_lag_seconds_count')).toBe(6);
    // Handlers ran for m1, m2 and the failed m7; the duplicate did not run them again.
    expect(
      valueOf(samples, 'visiwise_webhook_handler_duration_seconds_count', {
        type: 'shipment.tracked',
      }),
    ).toBe(3);
    expect(
      valueOf(samples, 'visiwise_webhook_handler_failures_total', { type: 'shipment.tracked' }),
    ).toBe(1);
    expect(valueOf(samples, 'visiwise_webhook_dead_letters_total', { cause: 'unparseable' })).toBe(
      1,
    );
    expect(
      valueOf(samples, 'visiwise_webhook_no_handler_total', { type: 'other', where: 'receive' }),
    ).toBe(1);
    const text = await t.registry.metrics();
    expect(text).toContain('# HELP visiwise_webhook_deliveries_total');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('msg_m1');
  });

  it('reports readiness and liveness through Terminus', async () => {
    const ready = await request(t.app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { visiwise: { status: 'up' } } });
    await request(t.app.getHttpServer()).get('/health/live').expect(200);
  });
});

describe.each(ADAPTERS)('tracing over HTTP on %s (real OpenTelemetry SDK)', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  const redis = testRedisClient();
  const prefix = `${uniqueName('trace')}:`;

  beforeAll(() => {
    api.context.setGlobalContextManager(contextManager.enable());
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
  });

  afterAll(async () => {
    await provider.shutdown();
    api.trace.disable();
    api.propagation.disable();
    api.context.disable();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  beforeEach(() => {
    exporter.reset();
  });

  const spansNamed = (prefixOfName: string): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((span) => span.name.startsWith(prefixOfName));

  const expectHandleUnderReceive = (): void => {
    const [receive] = spansNamed('visiwise.receive');
    const [handle] = spansNamed('visiwise.handle');
    const [appSpan] = spansNamed('app.update-shipment');
    expect(receive?.attributes['visiwise.delivery_id']).toBe('msg_traced');
    expect(receive?.attributes['visiwise.event_type']).toBe('shipment.tracked');
    expect(receive?.attributes['visiwise.outcome']).toBe('accepted');
    expect(handle?.spanContext().traceId).toBe(receive?.spanContext().traceId);
    expect(handle?.parentSpanContext?.spanId).toBe(receive?.spanContext().spanId);
    expect(appSpan?.parentSpanContext?.spanId).toBe(handle?.spanContext().spanId);
  };

  it('inline: one receive span per delivery, the handler span its child, the app span under it', async () => {
    const t = await startApp(adapter, secret);
    try {
      await t.send('msg_traced').expect(200);
      await t.send('msg_refused', { secret: generateVisiwiseWebhookSecret() }).expect(401);
      t.handler.failNext = true;
      await t.send('msg_failed').expect(500);
      t.logger.take('error', 'downstream unavailable');
      expectHandleUnderReceive();
      const receiveOf = (id: string | undefined, reason: string) =>
        spansNamed('visiwise.receive').find(
          (span) =>
            span.attributes['visiwise.delivery_id'] === id &&
            span.attributes['visiwise.reason'] === reason,
        );
      // A client's fault is not the server's error (OpenTelemetry's HTTP conventions); a 5xx is.
      expect(receiveOf(undefined, 'invalid_signature')?.status.code).toBe(api.SpanStatusCode.UNSET);
      expect(receiveOf('msg_failed', 'handler_failed')?.status.code).toBe(api.SpanStatusCode.ERROR);
      expect(spansNamed('visiwise.receive')).toHaveLength(3);
    } finally {
      await t.app.close();
    }
  });

  (process.env['VISIWISE_TEST_REDIS'] === '1' ? it : it.skip)(
    'queue: the trace context travels with the job, and the worker span is a child of the receive span',
    async () => {
      const t = await startApp(adapter, secret, {
        delivery: 'queue',
        redis: REDIS_URL,
        idempotency: { keyPrefix: `${prefix}idem:` },
        queue: { name: uniqueName('traced'), prefix: `${prefix}bull` },
        shutdownTimeoutMs: 3000,
      });
      try {
        await t.send('msg_traced').expect(200);
        await waitFor(() => t.handler.seen.includes('msg_traced'), 8000, 'the worker');
        await waitFor(() => spansNamed('app.update-shipment').length === 1, 2000, 'the app span');
        expectHandleUnderReceive();
        expect(spansNamed('visiwise.handle')[0]?.kind).toBe(api.SpanKind.CONSUMER);
      } finally {
        await t.app.close();
      }
    },
  );
});

describeWithRedis.each(ADAPTERS)(
  'queue metrics and readiness on %s (real Redis, real BullMQ)',
  (adapter) => {
    const secret = generateVisiwiseWebhookSecret();
    const redis = testRedisClient();
    let prefix: string;

    beforeEach(() => {
      prefix = `${uniqueName('qmetrics')}:`;
    });

    afterEach(async () => {
      await deleteKeys(redis, prefix);
    });

    afterAll(async () => {
      await redis.quit();
    });

    it('counts retries and dead letters, and reads the job counts on scrape', async () => {
      const t = await startApp(adapter, secret, {
        delivery: 'queue',
        redis: REDIS_URL,
        idempotency: { keyPrefix: `${prefix}idem:` },
        queue: { name: uniqueName('qm'), prefix: `${prefix}bull`, attempts: 2, backoffDelayMs: 50 },
        shutdownTimeoutMs: 3000,
      });
      try {
        const handler = t.handler;
        handler.failNext = true;
        const original = handler.onTracked.bind(handler);
        // Fail every attempt of this one event, so that it ends in the dead letters.
        handler.onTracked = async (event) => {
          handler.failNext = event.id === 'msg_doomed';
          await original(event);
        };
        await t.send('msg_doomed').expect(200);
        await waitFor(
          async () =>
            valueOf(await t.scrape(), 'visiwise_webhook_dead_letters_total', {
              cause: 'failed',
            }) === 1,
          10_000,
          'the dead letter',
        );
        // Job counts are read on scrape, at most every 5 s.
        await waitFor(
          async () =>
            valueOf(await t.scrape(), 'visiwise_webhook_queue_jobs', { state: 'failed' }) === 1,
          12_000,
          'the failed-jobs gauge',
        );
        const samples = await t.scrape();
        expect(
          valueOf(samples, 'visiwise_webhook_retries_total', { type: 'shipment.tracked' }),
        ).toBe(1);
        expect(valueOf(samples, 'visiwise_webhook_handler_failures_total')).toBe(2);
        expect(valueOf(samples, 'visiwise_webhook_queue_jobs', { state: 'failed' })).toBe(1);
        expect(valueOf(samples, 'visiwise_webhook_queue_jobs', { state: 'waiting' })).toBe(0);
        const ready = await request(t.app.getHttpServer()).get('/health/ready').expect(200);
        expect(ready.body.info.visiwise).toMatchObject({ status: 'up', deadLetters: 1 });
        t.logger.take('error', 'downstream unavailable');
      } finally {
        await t.app.close();
      }
    });
  },
);
