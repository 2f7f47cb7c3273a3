/*
 * Child process: one application under test, on 127.0.0.1 (an ephemeral port), or a queue worker
 * with no HTTP server. The runner opens and closes measurement windows; the process reports its own
 * CPU time and its RSS after a forced GC (it is started with --expose-gc).
 */
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { describeError, sendToParent } from '../lib/bench-child';
import type {
  BenchAppKind,
  BenchServerConfig,
  ServerCommand,
  ServerReply,
  WindowMeasurement,
} from '../lib/results';
import {
  createBareBenchModule,
  createMinimalVerifyingGuard,
  createSampleBenchModule,
  createWebhookBenchModule,
  deliveryCounter,
} from './bench-apps';
import { join } from 'node:path';

/**
 * One factory per application kind: a new kind of app (100 endpoints, say) is one entry here and
 * one in `BenchAppKind`.
 */
const APPS: { readonly [K in BenchAppKind]: (config: BenchServerConfig) => Type<unknown> } = {
  bare: (config) => createBareBenchModule(config.path),
  guard: (config) =>
    createBareBenchModule(config.path, [createMinimalVerifyingGuard(config.secret)]),
  module: (config) => createWebhookBenchModule(config.secret, config.path, config.moduleOptions),
  sample: () => {
    // Built by `npm run build:sample`; its configuration comes from the environment.
    const built = join(
      __dirname,
      '..',
      '..',
      'apps',
      'sample',
      'apps',
      'sample',
      'src',
      'app.module.js',
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AppModule } = require(built) as { AppModule: Type<unknown> };
    return createSampleBenchModule(AppModule);
  },
};

async function start(config: BenchServerConfig): Promise<[INestApplicationContext, number]> {
  const module = APPS[config.app](config);
  const logger: ('error' | 'warn')[] = ['error', 'warn'];
  if (config.adapter === 'worker') {
    return [await NestFactory.createApplicationContext(module, { logger }), 0];
  }
  const options = { rawBody: true, logger };
  const app =
    config.adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), options)
      : await NestFactory.create(module, new ExpressAdapter(), options);
  await app.listen(0, '127.0.0.1');
  return [app, Number(new URL(await app.getUrl()).port)];
}

const send = (reply: ServerReply): Promise<void> => sendToParent(reply);

let window: { readonly cpu: NodeJS.CpuUsage; readonly handled: number } | undefined;

async function stopWindow(
  expectHandled: number,
  timeoutMillis: number,
): Promise<WindowMeasurement> {
  if (!window) {
    throw new Error('stop without start');
  }
  const deadline = Date.now() + timeoutMillis;
  while (deliveryCounter.handled - window.handled < expectHandled && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const cpu = process.cpuUsage(window.cpu);
  const handled = deliveryCounter.handled - window.handled;
  window = undefined;
  // After the CPU reading, so the forced collections are not billed to the deliveries. Twice: the
  // first pass can leave finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  return { cpuMicros: cpu.user + cpu.system, handled, rssAfterGcBytes: process.memoryUsage.rss() };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env['BENCH_SERVER'] ?? '') as BenchServerConfig;
  if (typeof globalThis.gc !== 'function') {
    throw new Error('start the bench server with --expose-gc');
  }
  const [app, port] = await start(config);
  process.on('message', (message: ServerCommand) => {
    const handle = async (): Promise<void> => {
      switch (message.type) {
        case 'start':
          window = { cpu: process.cpuUsage(), handled: deliveryCounter.handled };
          await send({ type: 'started' });
          return;
        case 'stop':
          await send({
            type: 'stopped',
            measurement: await stopWindow(message.expectHandled, message.drainTimeoutMillis),
          });
          return;
        case 'shutdown':
          await app.close();
          process.disconnect();
          return;
      }
    };
    handle().catch((error: unknown) => send({ type: 'failed', message: describeError(error) }));
  });
  await send({ type: 'ready', port });
}

main().catch(async (error: unknown) => {
  await send({ type: 'failed', message: describeError(error) }).catch(() => undefined);
  process.exit(1);
});
