import type { INestApplication, LoggerService } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';

export type AdapterName = 'express' | 'fastify';

/** Every HTTP scenario runs on both platforms. */
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

export interface CreateAppOptions {
  rawBody?: boolean;
  logger?: LoggerService;
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
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { rawBody, logger });
    await app.init();
    return app;
  }
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    rawBody,
    logger,
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
