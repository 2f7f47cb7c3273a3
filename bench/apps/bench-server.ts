/*
 * Child process: one Nest application under test, listening on 127.0.0.1 (an ephemeral port). The
 * runner tells it when a measured window starts and ends; it reports its own CPU time and RSS, so
 * that the load generator's work never counts against the server.
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeFile } from 'node:fs/promises';
import type { Session } from 'node:inspector/promises';
import { ParentChannel, describeError } from '../lib/bench-child';
import type {
  AdapterName,
  BenchServerConfig,
  MemorySnapshot,
  ServerCommand,
  ServerMeasurement,
  ServerReply,
} from '../lib/bench-protocol';
import { createBareBenchModule } from './bare-bench.module';
import { deliveryCounter } from './delivery-counter';
import { createMinimalVerifyingGuard } from './minimal-verifying.guard';
import { createWebhookBenchModule } from './webhook-bench.module';

const DRAIN_POLL_MILLIS = 5;

const parent = new ParentChannel<{ command: ServerCommand; reply: ServerReply }>();

function readConfig(): BenchServerConfig {
  const raw = process.env['BENCH_SERVER'];
  if (raw === undefined) {
    throw new Error('BENCH_SERVER is not set: this process is started by the bench runner');
  }
  return JSON.parse(raw) as BenchServerConfig;
}

/** Like the sample app: `HTTP_ADAPTER` is `express` (default) or `fastify`. */
function adapterFromEnv(): AdapterName {
  const value = (process.env['HTTP_ADAPTER'] ?? 'express').toLowerCase();
  if (value !== 'express' && value !== 'fastify') {
    throw new Error(`HTTP_ADAPTER must be "express" or "fastify", not "${value}".`);
  }
  return value;
}

async function createApp(
  config: BenchServerConfig,
  adapter: AdapterName,
): Promise<INestApplication> {
  const module =
    config.app === 'module'
      ? createWebhookBenchModule(config.secret, config.path, config.moduleOptions)
      : createBareBenchModule(
          config.path,
          config.app === 'guard' ? [createMinimalVerifyingGuard(config.secret)] : [],
        );
  const options = { rawBody: true, logger: ['error', 'warn'] as ('error' | 'warn')[] };
  return adapter === 'fastify'
    ? NestFactory.create(module, new FastifyAdapter(), options)
    : NestFactory.create(module, new ExpressAdapter(), options);
}

interface Window {
  readonly cpu: NodeJS.CpuUsage;
  readonly handled: number;
  readonly start: bigint;
}

class ServerUnderTest {
  private window: Window | undefined;
  private profiler: Session | undefined;

  constructor(private readonly app: INestApplication) {}

  async handle(command: ServerCommand): Promise<void> {
    switch (command.type) {
      case 'measure-start':
        this.startWindow();
        await parent.send({ type: 'measure-started' });
        return;
      case 'measure-stop':
        await parent.send({
          type: 'measured',
          measurement: await this.stopWindow(command.expectHandled, command.drainTimeoutMillis),
        });
        return;
      case 'snapshot':
        await parent.send({ type: 'snapshot', snapshot: snapshot() });
        return;
      case 'profile-start':
        await this.startProfile(command.samplingIntervalMicros);
        await parent.send({ type: 'profile-started' });
        return;
      case 'profile-stop':
        await this.stopProfile(command.file);
        await parent.send({ type: 'profile-stopped', file: command.file });
        return;
      case 'shutdown':
        await this.app.close();
        await parent.send({ type: 'shut-down' });
        process.disconnect();
        return;
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  }

  private startWindow(): void {
    this.window = {
      cpu: process.cpuUsage(),
      handled: deliveryCounter.handled,
      start: process.hrtime.bigint(),
    };
  }

  private async stopWindow(
    expectHandled: number,
    drainTimeoutMillis: number,
  ): Promise<ServerMeasurement> {
    const window = this.window;
    if (!window) {
      throw new Error('measure-stop without measure-start');
    }
    const drainStart = process.hrtime.bigint();
    const deadline = Date.now() + drainTimeoutMillis;
    while (deliveryCounter.handled - window.handled < expectHandled && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MILLIS));
    }
    const drainMillis = Number(process.hrtime.bigint() - drainStart) / 1e6;
    const cpu = process.cpuUsage(window.cpu);
    const elapsedNanos = process.hrtime.bigint() - window.start;
    this.window = undefined;
    return {
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      handled: deliveryCounter.handled - window.handled,
      elapsedMillis: Number(elapsedNanos) / 1e6,
      drainMillis,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }

  // The V8 sampling profiler that `node --cpu-prof` uses, started and stopped around the load only,
  // so that application start-up does not dilute the per-request picture.
  private async startProfile(samplingIntervalMicros: number): Promise<void> {
    const { Session: InspectorSession } = await import('node:inspector/promises');
    const session = new InspectorSession();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalMicros });
    await session.post('Profiler.start');
    this.profiler = session;
  }

  private async stopProfile(file: string): Promise<void> {
    const session = this.profiler;
    if (!session) {
      throw new Error('profile-stop without profile-start');
    }
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    this.profiler = undefined;
  }
}

function snapshot(): MemorySnapshot {
  // Twice: the first pass can leave weakly held and finalizable objects for the second.
  globalThis.gc?.();
  globalThis.gc?.();
  const memory = process.memoryUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
    handled: deliveryCounter.handled,
  };
}

async function main(): Promise<void> {
  const app = await createApp(readConfig(), adapterFromEnv());
  await app.listen(0, '127.0.0.1');
  const port = Number(new URL(await app.getUrl()).port);
  const server = new ServerUnderTest(app);
  parent.onCommand((command) => server.handle(command));
  await parent.send({ type: 'ready', port });
}

main().catch(async (error: unknown) => {
  await parent.send({ type: 'failed', message: describeError(error) }).catch(() => {
    console.error(describeError(error));
  });
  process.exit(1);
});
