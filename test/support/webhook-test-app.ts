import { DynamicModule, INestApplication, Injectable, Provider } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import {
  AnyVisiwiseEvent,
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseSecretInput,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleExtras,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import request from 'supertest';
import { signVisiwiseWebhook } from 'nestjs-visiwise-webhook/testing';
import { AdapterName, createHttpApp } from './adapters';
import { shipmentTracked } from './payloads';
import { CapturingLogger } from './capturing-logger';

export type Registration = 'forRoot' | 'forRootAsync';

/** Both ways of registering the module; every HTTP scenario runs with each. */
export const REGISTRATIONS: readonly Registration[] = ['forRoot', 'forRootAsync'];

/** A provider with handlers that records what it received, and can be told to fail. */
@Injectable()
export class RecordingHandlers {
  readonly tracked: VisiwiseEvent<'shipment.tracked'>[] = [];
  readonly any: AnyVisiwiseEvent[] = [];
  /** Every call of the shipment.tracked handler, including failed ones. */
  readonly calls: string[] = [];
  /** When set, the shipment.tracked handler rejects with it (after its first await). */
  failWith: Error | undefined;
  /** How many next calls fail (with `failWith` or a default error) before it succeeds again. */
  failTimes = 0;
  /** When set, the handler waits for this promise before finishing. */
  gate: Promise<void> | undefined;

  @OnVisiwiseEvent('shipment.tracked')
  async onTracked(event: VisiwiseEvent<'shipment.tracked'>): Promise<void> {
    this.calls.push(event.id);
    await Promise.resolve();
    if (this.gate) {
      await this.gate;
    }
    if (this.failTimes > 0) {
      this.failTimes--;
      throw this.failWith ?? new Error('transient handler failure');
    }
    if (this.failWith) {
      throw this.failWith;
    }
    this.tracked.push(event);
  }

  @OnVisiwiseEvent('*')
  onAny(event: AnyVisiwiseEvent): void {
    this.any.push(event);
  }
}

export interface WebhookTestAppOptions {
  adapter: AdapterName;
  registration: Registration;
  secret: VisiwiseSecretInput | VisiwiseSecretInput[];
  rawBody?: boolean;
  extras?: VisiwiseWebhookModuleExtras;
  toleranceSeconds?: number;
  /** Trust X-Forwarded-For from loopback (see createHttpApp). */
  trustLoopbackProxy?: boolean;
  /** Raise the platform's body limit (see createHttpApp). */
  bodyLimitBytes?: number;
  /** Middleware or hooks of the app, installed before `init()` (see createHttpApp). */
  prepare?: (app: INestApplication) => void;
  /** Extra providers of the test app (e.g. an @OnEvent listener). */
  providers?: Provider[];
  /** Further module options (delivery mode, redis, idempotency, queue). */
  moduleOptions?: Omit<VisiwiseWebhookModuleOptions, 'secret' | 'toleranceSeconds'>;
}

export interface WebhookTestApp {
  app: INestApplication;
  handlers: RecordingHandlers;
  logger: CapturingLogger;
  close(): Promise<void>;
}

/** The module registered as a user would: forRoot with options, or forRootAsync via ConfigService. */
export function registerModule(options: WebhookTestAppOptions): DynamicModule {
  const { secret, extras = {}, toleranceSeconds, moduleOptions = {} } = options;
  if (options.registration === 'forRoot') {
    return VisiwiseWebhookModule.forRoot({ ...moduleOptions, secret, toleranceSeconds, ...extras });
  }
  return VisiwiseWebhookModule.forRootAsync({
    ...extras,
    imports: [
      ConfigModule.forRoot({
        ignoreEnvFile: true,
        load: [() => ({ WEBHOOK_SECRET: secret, WEBHOOK_TOLERANCE: toleranceSeconds })],
      }),
    ],
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      ...moduleOptions,
      secret: config.getOrThrow<VisiwiseSecretInput | VisiwiseSecretInput[]>('WEBHOOK_SECRET'),
      toleranceSeconds: config.get<number>('WEBHOOK_TOLERANCE'),
    }),
  });
}

/** A real Nest app on a real HTTP platform with the module and recording handlers. */
export async function createWebhookTestApp(
  options: WebhookTestAppOptions,
): Promise<WebhookTestApp> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot(), registerModule(options)],
    providers: [RecordingHandlers, ...(options.providers ?? [])],
  })
    .setLogger(logger)
    .compile();
  const app = await createHttpApp(moduleRef, options.adapter, {
    logger,
    ...(options.rawBody === undefined ? {} : { rawBody: options.rawBody }),
    ...(options.trustLoopbackProxy ? { trustLoopbackProxy: true } : {}),
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
    ...(options.prepare === undefined ? {} : { prepare: options.prepare }),
  });
  return {
    app,
    handlers: app.get(RecordingHandlers),
    logger,
    close: () => app.close(),
  };
}

/** A promise and the function that resolves it: lets a test hold a handler mid-flight. */
export function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** POSTs a signed delivery (a shipment.tracked by default) to the app's webhook route. */
export function sendSigned(
  t: WebhookTestApp,
  secret: string,
  id: string,
  body = JSON.stringify(shipmentTracked()),
  path = '/webhooks/visiwise',
): request.Test {
  return request(t.app.getHttpServer())
    .post(path)
    .set('content-type', 'application/json')
    .set({ ...signVisiwiseWebhook({ secret, payload: body, id }) })
    .send(body);
}
