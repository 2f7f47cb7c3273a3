import type { DynamicModule, INestApplication, Provider, Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { signVisiwiseWebhook } from 'nestjs-visiwise-webhook/testing';
import request from 'supertest';
import { AdapterName, createHttpApp } from './adapters';
import { CapturingLogger } from './capturing-logger';
import { shipmentTracked } from './payloads';

/** An app under test with named endpoints or tenants, listening on a loopback port. */
export interface EndpointsTestApp {
  readonly app: INestApplication;
  readonly logger: CapturingLogger;
  /** The provider of the given class (a handler or resolver of the test). */
  get<T>(type: Type<T>): T;
  /** POSTs a delivery signed with `secret` (a shipment.tracked unless `body` is given). */
  send(path: string, secret: string, options?: SendOptions): request.Test;
  /** POSTs a body with exactly these headers (for unsigned or hand-made deliveries). */
  post(path: string, body: string, headers: Record<string, string>): request.Test;
  close(): Promise<void>;
}

export interface SendOptions {
  readonly id?: string;
  readonly body?: string;
  /** Signed `svix-timestamp`, in seconds. @default now */
  readonly timestamp?: number;
}

/**
 * Starts the module registration given on a real platform, with EventEmitterModule and the test's
 * providers. It listens on a port once, so that many requests do not each open and close a server
 * (supertest's default for an unbound server).
 */
export async function startEndpointsApp(
  adapter: AdapterName,
  registration: DynamicModule,
  providers: Provider[] = [],
  imports: DynamicModule[] = [],
): Promise<EndpointsTestApp> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot(), ...imports, registration],
    providers,
  })
    .setLogger(logger)
    .compile();
  const app = await createHttpApp(moduleRef, adapter, { logger });
  await app.listen(0, '127.0.0.1');
  const server: unknown = app.getHttpServer();
  const post = (path: string, body: string, headers: Record<string, string>) =>
    request(server as Parameters<typeof request>[0])
      .post(path)
      .set('content-type', 'application/json')
      .set(headers)
      .send(body);
  return {
    app,
    logger,
    get: (type) => app.get(type),
    post,
    send: (path, secret, options = {}) => {
      const body = options.body ?? JSON.stringify(shipmentTracked());
      return post(path, body, {
        ...signVisiwiseWebhook({
          secret,
          payload: body,
          ...(options.id === undefined ? {} : { id: options.id }),
          ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
        }),
      });
    },
    close: () => app.close(),
  };
}

/** Starts a module graph and resolves the error its compilation or start rejects with. */
export async function bootError(
  adapter: AdapterName,
  registration: DynamicModule,
  imports: DynamicModule[] = [],
): Promise<unknown> {
  try {
    const app = await startEndpointsApp(adapter, registration, [], imports);
    await app.close();
  } catch (error) {
    return error;
  }
  return undefined;
}
