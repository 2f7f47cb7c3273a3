import { Controller, HttpCode, Module, Post, Req, UseGuards } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  VisiwiseConfigurationError,
  VisiwiseSignatureGuard,
  VisiwiseWebhookModule,
  VisiwiseWebhookVerifier,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import {
  noSecretsMessage,
  secretNotBase64Message,
  secretIsPrivateKeyMessage,
} from '../libs/visiwise-webhook/src/signature/signature.messages';
import { missingEventEmitterMessage } from '../libs/visiwise-webhook/src/events/events.messages';
import {
  invalidDeliveryModeMessage,
  invalidPositiveNumberMessage,
  invalidQueueNameMessage,
  queueNeedsRedisMessage,
  redisStoreNeedsRedisMessage,
} from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import { ADAPTERS, createHttpApp } from './support/adapters';
import {
  invalidMaxBodyBytesMessage,
  invalidMaxJsonDepthMessage,
  invalidReparseRawBodyMessage,
} from '../libs/visiwise-webhook/src/http/http.messages';
import { takeVerified } from '../libs/visiwise-webhook/src/http/webhook-request';
import { CapturingLogger } from './support/capturing-logger';
import { shipmentTracked } from './support/payloads';
import { RecordingHandlers } from './support/webhook-test-app';

const ENV = 'VISIWISE_WEBHOOK_SECRET';
const SECRET = generateVisiwiseWebhookSecret();

/** Compiles a module graph and starts it on Express; resolves the app or rejects with the boot error. */
async function boot(imports: unknown[], providers: unknown[] = [RecordingHandlers]) {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
  })
    .setLogger(new CapturingLogger())
    .compile();
  return createHttpApp(moduleRef, 'express', { logger: new CapturingLogger() });
}

describe('module configuration', () => {
  const saved = process.env[ENV];
  afterEach(() => {
    if (saved === undefined) Reflect.deleteProperty(process.env, ENV);
    else process.env[ENV] = saved;
  });

  describe('fails at start, naming the fix and never the secret', () => {
    it('without any secret', async () => {
      Reflect.deleteProperty(process.env, ENV);
      const error = await boot([
        EventEmitterModule.forRoot(),
        VisiwiseWebhookModule.forRoot(),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VisiwiseConfigurationError);
      expect((error as Error).message).toContain(noSecretsMessage());
      expect((error as Error).message).toContain(ENV);
    });

    it.each([
      ['forRoot', (secret: string) => VisiwiseWebhookModule.forRoot({ secret })],
      [
        'forRootAsync',
        (secret: string) =>
          VisiwiseWebhookModule.forRootAsync({
            useFactory: async () => Promise.resolve({ secret }),
          }),
      ],
    ])('with a malformed secret (%s)', async (_name, register) => {
      const secret = 'whsec_not*base64*at*all';
      const error = await boot([EventEmitterModule.forRoot(), register(secret)]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VisiwiseConfigurationError);
      expect((error as Error).message).toContain(secretNotBase64Message(0, 1));
      expect((error as Error).message).not.toContain('not*base64');
    });

    it('with a private signing key instead of the secret', async () => {
      const secret = 'whsk_c2VjcmV0LXByaXZhdGUta2V5LWJ5dGVzLTEyMzQ1Ng==';
      const error = await boot([
        EventEmitterModule.forRoot(),
        VisiwiseWebhookModule.forRoot({ secret }),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).toContain(secretIsPrivateKeyMessage(0, 1));
      expect((error as Error).message).not.toContain(secret.slice(5));
    });

    it.each([
      [{ delivery: 'queue' as const }, queueNeedsRedisMessage()],
      [{ idempotency: { store: 'redis' as const } }, redisStoreNeedsRedisMessage()],
      [{ delivery: 'kafka' as never }, invalidDeliveryModeMessage()],
      [{ idempotency: { ttlSeconds: -1 } }, invalidPositiveNumberMessage('idempotency.ttlSeconds')],
      [{ queue: { name: 'a:b' } }, invalidQueueNameMessage()],
    ])('with inconsistent delivery options %j', async (options, message) => {
      const error = await boot([
        EventEmitterModule.forRoot(),
        VisiwiseWebhookModule.forRoot({ secret: SECRET, ...options }),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VisiwiseConfigurationError);
      expect((error as Error).message).toBe(message);
    });

    it.each([
      [{ maxBodyBytes: 0 }, invalidMaxBodyBytesMessage()],
      [{ maxJsonDepth: 1 }, invalidMaxJsonDepthMessage()],
      [{ reparseRawBody: 'yes' as never }, invalidReparseRawBodyMessage()],
    ])('with an invalid HTTP option %j', async (options, message) => {
      const error = await boot([
        EventEmitterModule.forRoot(),
        VisiwiseWebhookModule.forRoot({ secret: SECRET, ...options }),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VisiwiseConfigurationError);
      expect((error as Error).message).toBe(message);
    });

    it('when Redis is unreachable, naming the server but not the password', async () => {
      const error = await boot([
        EventEmitterModule.forRoot(),
        VisiwiseWebhookModule.forRoot({
          secret: SECRET,
          redis: 'redis://user:s3cr3t-pass@127.0.0.1:1/0',
        }),
      ]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).toContain('Cannot reach Redis at redis://127.0.0.1:1');
      expect((error as Error).message).not.toContain('s3cr3t-pass');
    });

    it('without EventEmitterModule', async () => {
      const error = await boot(
        [VisiwiseWebhookModule.forRoot({ secret: generateVisiwiseWebhookSecret() })],
        [],
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VisiwiseConfigurationError);
      expect((error as Error).message).toBe(missingEventEmitterMessage());
    });
  });

  describe.each(ADAPTERS)('secret from the environment (%s)', (adapter) => {
    it('reads VISIWISE_WEBHOOK_SECRET through ConfigService when `secret` is omitted', async () => {
      Reflect.deleteProperty(process.env, ENV);
      const secret = generateVisiwiseWebhookSecret();
      const moduleRef = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({
            isGlobal: true,
            ignoreEnvFile: true,
            load: [() => ({ [ENV]: secret })],
          }),
          EventEmitterModule.forRoot(),
          VisiwiseWebhookModule.forRoot(),
        ],
        providers: [RecordingHandlers],
      }).compile();
      const app = await createHttpApp(moduleRef, adapter, { logger: new CapturingLogger() });
      try {
        const body = JSON.stringify(shipmentTracked());
        await request(app.getHttpServer())
          .post('/webhooks/visiwise')
          .set('content-type', 'application/json')
          .set({ ...signVisiwiseWebhook({ secret, payload: body }) })
          .send(body)
          .expect(200);
        expect(app.get(RecordingHandlers).tracked).toHaveLength(1);
      } finally {
        await app.close();
      }
    });

    it('reads several space-separated secrets from process.env (rotation overlap)', async () => {
      const oldSecret = generateVisiwiseWebhookSecret();
      const newSecret = generateVisiwiseWebhookSecret();
      process.env[ENV] = `${oldSecret} ${newSecret}`;
      const moduleRef = await Test.createTestingModule({
        imports: [EventEmitterModule.forRoot(), VisiwiseWebhookModule.forRoot()],
        providers: [RecordingHandlers],
      }).compile();
      const app = await createHttpApp(moduleRef, adapter, { logger: new CapturingLogger() });
      try {
        for (const secret of [oldSecret, newSecret]) {
          const body = JSON.stringify(shipmentTracked());
          await request(app.getHttpServer())
            .post('/webhooks/visiwise')
            .set('content-type', 'application/json')
            .set({ ...signVisiwiseWebhook({ secret, payload: body }) })
            .send(body)
            .expect(200);
        }
        expect(app.get(RecordingHandlers).tracked).toHaveLength(2);
        expect(app.get(VisiwiseWebhookVerifier).secretCount).toBe(2);
      } finally {
        await app.close();
      }
    });
  });

  describe.each(ADAPTERS)('the guard on an application route (%s)', (adapter) => {
    const handedOver: unknown[] = [];

    @Controller('custom')
    @UseGuards(VisiwiseSignatureGuard)
    class CustomController {
      @Post()
      @HttpCode(204)
      accept(@Req() req: object): void {
        // The guard alone decides; what it hands over is for the module's own endpoint only.
        handedOver.push(takeVerified(req));
      }
    }

    @Module({
      imports: [VisiwiseWebhookModule.forRoot({ secret: SECRET })],
      controllers: [CustomController],
    })
    class FeatureModule {}

    it('protects it with the module configuration (isGlobal not needed when imported)', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [EventEmitterModule.forRoot(), FeatureModule],
      }).compile();
      const app = await createHttpApp(moduleRef, adapter, { logger: new CapturingLogger() });
      try {
        const body = '{"any":"json"}';
        const server = app.getHttpServer();
        await request(server)
          .post('/custom')
          .set('content-type', 'application/json')
          .set({ ...signVisiwiseWebhook({ secret: SECRET, payload: body }) })
          .send(body)
          .expect(204);
        // Recorded for this route, the result would wait for a reader that never comes.
        expect(handedOver).toEqual([undefined]);
        const forged = await request(server)
          .post('/custom')
          .set('content-type', 'application/json')
          .set({
            ...signVisiwiseWebhook({ secret: generateVisiwiseWebhookSecret(), payload: body }),
          })
          .send(body);
        expect(forged.status).toBe(401);
        expect(forged.body.reason).toBe('invalid_signature');
      } finally {
        await app.close();
      }
    });
  });
});
