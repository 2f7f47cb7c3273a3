import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

export type HttpAdapterName = 'express' | 'fastify';

/** Reads HTTP_ADAPTER (`express` by default, or `fastify`). */
export function adapterFromEnv(env: NodeJS.ProcessEnv): HttpAdapterName {
  const value = (env['HTTP_ADAPTER'] ?? 'express').toLowerCase();
  if (value !== 'express' && value !== 'fastify') {
    throw new Error(`HTTP_ADAPTER must be "express" or "fastify", not "${value}".`);
  }
  return value;
}

/**
 * Creates the sample application as `main.ts` runs it. `rawBody: true` is the one thing the
 * webhook module needs from the app: signatures are checked on the exact bytes received.
 */
export async function createSampleApp(adapter: HttpAdapterName): Promise<INestApplication> {
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })
      : await NestFactory.create(AppModule, new ExpressAdapter(), { rawBody: true });
  app.enableShutdownHooks();
  return app;
}
