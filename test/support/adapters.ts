import type { INestApplication, LoggerService } from '@nestjs/common';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';

export type AdapterName = 'express' | 'fastify';

/** Every HTTP scenario runs on both platforms. */
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

export interface CreateAppOptions {
  rawBody?: boolean;
  logger?: LoggerService;
  /**
   * Trust X-Forwarded-For from loopback proxies: Express `app.set('trust proxy', 'loopback')`,
   * Fastify `trustProxy: '127.0.0.1'`. Each platform then computes `request.ip` itself.
   */
  trustLoopbackProxy?: boolean;
  /**
   * Raise the platform's JSON body limit as the README tells users to: Express
   * `app.useBodyParser('json', { limit })`, Fastify `new FastifyAdapter({ bodyLimit })`.
   */
  bodyLimitBytes?: number;
  /** Runs on the app before `init()`: middleware or hooks of the application under test. */
  prepare?: (app: INestApplication) => void;
}

/** Creates and initialises a Nest app on the given platform, ready for supertest. */
export async function createHttpApp(
  moduleRef: TestingModule,
  adapter: AdapterName,
  options: CreateAppOptions = {},
): Promise<INestApplication> {
  const rawBody = options.rawBody ?? true;
  const logger = options.logger ?? false;
  if (adapter === 'express') {
    const expressAdapter = new ExpressAdapter();
    if (options.trustLoopbackProxy) {
      expressAdapter.set('trust proxy', 'loopback');
    }
    const app = moduleRef.createNestApplication<NestExpressApplication>(expressAdapter, {
      rawBody,
      logger,
    });
    if (options.bodyLimitBytes !== undefined) {
      app.useBodyParser('json', { limit: options.bodyLimitBytes });
    }
    options.prepare?.(app);
    await app.init();
    return app;
  }
  const fastifyAdapter = new FastifyAdapter({
    ...(options.trustLoopbackProxy ? { trustProxy: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] } : {}),
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimit: options.bodyLimitBytes }),
  });
  const app = moduleRef.createNestApplication<NestFastifyApplication>(fastifyAdapter, {
    rawBody,
    logger,
  });
  options.prepare?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
