/*
 * Child process: one application under test, on 127.0.0.1 (an ephemeral port), or a queue worker
 * with no HTTP server. The runner opens and closes measurement windows; the process reports its own
 * CPU time and its RSS after a forced GC (it is started with --expose-gc).
 */
import {
  CanActivate,
  type INestApplicationContext,
  Controller,
  ExecutionContext,
  HttpCode,
  Injectable,
  Module,
  Post,
  type RawBodyRequest,
  Type,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OnVisiwiseEvent, VisiwiseEvent, VisiwiseWebhookModule } from 'nestjs-visiwise-webhook';
import { secretKey } from '../lib/payload';
import type { BenchAppKind, BenchServerConfig, ServerCommand, ServerReply } from '../lib/results';

const CONFIG = JSON.parse(process.env['BENCH_SERVER'] ?? '') as BenchServerConfig;
/** Long enough for a queue worker to catch up with what was answered. */
const DRAIN_TIMEOUT_MILLIS = 20_000;

/** Deliveries that reached the application's code in this process (bare route or handler). */
let handled = 0;

/**
 * A reference point, not the package: the straightforward Svix-verifying guard an application
 * would write in a few lines (the one issue 5 quotes at ~0.89x / ~0.69x of the bare route). Lower
 * case headers, a timestamp window of 5 minutes, one HMAC over `id.timestamp.body`, a constant-time
 * compare with each `v1,` signature. No content-type or size checks, no typed errors, no
 * deduplication, parsing or events: whatever the module costs beyond this is the price of those.
 */
class MinimalVerifyingGuard implements CanActivate {
  private readonly key = secretKey(CONFIG.secret);

  canActivate(context: ExecutionContext): boolean {
    const { headers, rawBody } = context
      .switchToHttp()
      .getRequest<RawBodyRequest<IncomingMessage>>();
    const id = headers['svix-id'];
    const timestamp = headers['svix-timestamp'];
    const signatures = headers['svix-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string') return this.reject();
    if (typeof signatures !== 'string' || !rawBody) return this.reject();
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 5 * 60) return this.reject();
    const hmac = createHmac('sha256', this.key).update(`${id}.${timestamp}.`);
    const digest = hmac.update(rawBody).digest();
    for (const entry of signatures.split(' ')) {
      if (!entry.startsWith('v1,')) continue;
      const given = Buffer.from(entry.slice(3), 'base64');
      if (given.length === digest.length && timingSafeEqual(given, digest)) return true;
    }
    return this.reject();
  }

  private reject(): never {
    throw new UnauthorizedException();
  }
}

/**
 * The baseline: a plain Nest POST route on the same path, in an app created with `rawBody: true`
 * (so the platform parses the JSON and keeps the raw bytes, as it does for the module). It answers
 * what the module answers and does nothing else: no verification, no event. The `guard` scenario
 * puts the guard above in front of it.
 */
@Controller(CONFIG.path)
class BareController {
  @Post()
  @HttpCode(200)
  receive(): { status: 'received' } {
    handled++;
    return { status: 'received' };
  }
}
if (CONFIG.app === 'guard') UseGuards(MinimalVerifyingGuard)(BareController);

@Module({ controllers: [BareController] })
class BareModule {}

/** One handler of `shipment.tracked` that only counts: what the bench measures is the rest. */
@Injectable()
class CountingHandler {
  @OnVisiwiseEvent('shipment.tracked')
  onTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    if (event.data.trackingReference !== '') handled++;
  }
}

/** The module set up the way the README tells users to, with the counting no-op handler. */
function webhookModule(): Type<unknown> {
  const { secret, path, moduleOptions } = CONFIG;
  const webhooks = VisiwiseWebhookModule.forRoot({ ...moduleOptions, secret, path });
  @Module({ imports: [EventEmitterModule.forRoot(), webhooks], providers: [CountingHandler] })
  class WebhookBenchModule {}
  return WebhookBenchModule;
}

/**
 * The sample app (apps/sample, as built by `npm run build:sample`) with the counting handler
 * besides its own. It reads its configuration from the environment the scenario gives this process.
 */
function sampleModule(): Type<unknown> {
  const built = join(__dirname, '../../apps/sample/apps/sample/src/app.module.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AppModule } = require(built) as { AppModule: Type<unknown> };
  @Module({ imports: [AppModule], providers: [CountingHandler] })
  class SampleBenchModule {}
  return SampleBenchModule;
}

const APPS: Readonly<Record<BenchAppKind, () => Type<unknown>>> = {
  bare: () => BareModule,
  guard: () => BareModule,
  module: webhookModule,
  sample: sampleModule,
};

async function start() {
  const module = APPS[CONFIG.app]();
  const logger: ('error' | 'warn')[] = ['error', 'warn'];
  if (CONFIG.adapter === 'worker') {
    return { app: await NestFactory.createApplicationContext(module, { logger }), port: 0 };
  }
  const adapter = CONFIG.adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(module, adapter, { rawBody: true, logger });
  await app.listen(0, '127.0.0.1');
  return { app, port: Number(new URL(await app.getUrl()).port) };
}

/** Replies to the runner, which started this process with an IPC channel. */
const send = (reply: ServerReply): boolean | undefined => process.send?.(reply);

let window: { readonly cpu: NodeJS.CpuUsage; readonly handled: number } | undefined;

async function stopWindow(expectHandled: number) {
  if (!window) throw new Error('stop without start');
  const deadline = Date.now() + DRAIN_TIMEOUT_MILLIS;
  while (handled - window.handled < expectHandled && Date.now() < deadline) await sleep(5);
  const cpu = process.cpuUsage(window.cpu);
  const measurement = { cpuMicros: cpu.user + cpu.system, handled: handled - window.handled };
  window = undefined;
  // After the CPU reading, so the forced collections are not billed to the deliveries. Twice: the
  // first pass can leave finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  return { ...measurement, rssAfterGcBytes: process.memoryUsage.rss() };
}

async function handle(app: INestApplicationContext, message: ServerCommand): Promise<void> {
  switch (message.type) {
    case 'start':
      window = { cpu: process.cpuUsage(), handled };
      send({ type: 'started' });
      return;
    case 'stop':
      send({ type: 'stopped', measurement: await stopWindow(message.expectHandled) });
      return;
    case 'shutdown':
      await app.close();
      process.disconnect();
  }
}

/** Any failure ends the process, its stack printed: the runner, awaiting a reply, sees it exit. */
function fail(error: unknown): never {
  console.error(error);
  process.exit(1);
}

async function main(): Promise<void> {
  if (!process.send || !globalThis.gc)
    throw new Error('start me from the runner, with --expose-gc');
  const { app, port } = await start();
  process.on('message', (message: ServerCommand) => {
    handle(app, message).catch(fail);
  });
  send({ type: 'ready', port });
}

main().catch(fail);
