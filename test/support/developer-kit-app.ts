import { INestApplication, Injectable } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  AnyVisiwiseEvent,
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseEventOf,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import type { AdapterName } from './adapters';
import { CapturingLogger } from './capturing-logger';

type BuiltInType =
  | 'shipment.tracked'
  | 'shipment.tracking_failed'
  | 'shipment.arrival_time_changed'
  | 'shipment.container_movement';

/** Handlers of every built-in event type (known and inferred) and a wildcard, recording what ran. */
@Injectable()
export class KitHandlers {
  readonly known: VisiwiseEventOf<BuiltInType>[] = [];
  readonly any: AnyVisiwiseEvent[] = [];
  readonly tracked: VisiwiseEvent<'shipment.tracked'>[] = [];
  /** When > 0, the known-type handler waits this long before finishing. */
  delayMs = 0;

  @OnVisiwiseEvent([
    'shipment.tracked',
    'shipment.tracking_failed',
    'shipment.arrival_time_changed',
    'shipment.container_movement',
  ])
  async onKnown(event: VisiwiseEventOf<BuiltInType>): Promise<void> {
    if (this.delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    }
    this.known.push(event);
    if (event.type === 'shipment.tracked') {
      this.tracked.push(event);
    }
  }

  @OnVisiwiseEvent('*')
  onAny(event: AnyVisiwiseEvent): void {
    this.any.push(event);
  }
}

export interface KitApp {
  app: INestApplication;
  handlers: KitHandlers;
  logger: CapturingLogger;
  /** Base URL of the listening app, e.g. http://127.0.0.1:41234 (undefined unless `listen`). */
  url: string | undefined;
}

/**
 * A real Nest app with the module (default path) and {@link KitHandlers}, on Express or Fastify;
 * with `listen: true` it listens on a free loopback port, as a developer's app would.
 */
export async function createKitApp(
  adapter: AdapterName,
  secret: string,
  options: {
    listen?: boolean;
    globalPrefix?: string;
    /** More options of the module (endpoints, tenants, ...). */
    module?: Omit<VisiwiseWebhookModuleOptions, 'secret'>;
  } = {},
): Promise<KitApp> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventEmitterModule.forRoot(),
      VisiwiseWebhookModule.forRoot({ secret, ...options.module }),
    ],
    providers: [KitHandlers],
  })
    .setLogger(logger)
    .compile();
  const app =
    adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { rawBody: true, logger })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          rawBody: true,
          logger,
        });
  if (options.globalPrefix !== undefined) {
    app.setGlobalPrefix(options.globalPrefix);
  }
  let url: string | undefined;
  if (options.listen === true) {
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  } else {
    await app.init();
  }
  return { app, handlers: app.get(KitHandlers), logger, url };
}
