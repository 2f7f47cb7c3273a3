import { Queue } from 'bullmq';
import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import {
  shutdownTimeoutLogMessage,
  workerShutdownTimeoutLogMessage,
} from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import { ADAPTERS, AdapterName } from './support/adapters';
import { AppExit, AppProcess } from './support/app-process';
import { ensureBuiltLibrary } from './support/built-library';
import { uniqueName, waitFor } from './support/redis';
import { TestRedisServer, describeWithRedisServer } from './support/redis-server';

/*
 * SIGTERM ends the process within shutdownTimeoutMs + 5 s whatever its Redis does: healthy, frozen
 * (SIGSTOP: it holds the connections and never answers) or killed (SIGKILL) before or during the
 * drain. Each scenario runs the fixture app (test/fixtures/webhook-app-process.js, on the built
 * package) against a redis-server of its own, on Express and Fastify side by side.
 */

const SHUTDOWN_TIMEOUT_MS = 2000;
/** The promise: the process is gone this long after SIGTERM at the latest. */
const EXIT_DEADLINE_MS = SHUTDOWN_TIMEOUT_MS + 5000;

jest.setTimeout(60_000);

function moduleOptions(
  delivery: 'inline' | 'background' | 'queue',
  redis: string,
): VisiwiseWebhookModuleOptions {
  return {
    secret: generateVisiwiseWebhookSecret(),
    delivery,
    redis,
    idempotency: { keyPrefix: `${uniqueName('shutdown')}:` },
    queue: { name: uniqueName('shutdown') },
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
  };
}

interface Scenario {
  readonly app: AppProcess;
  readonly redis: TestRedisServer;
  readonly queueName: string;
}

/** The state of a delivery's job, read from the scenario's Redis. */
async function jobState(scenario: Scenario, id: string): Promise<string | undefined> {
  const queue = new Queue(scenario.queueName, { connection: { url: scenario.redis.url } });
  try {
    return await (await queue.getJob(id))?.getState();
  } finally {
    await queue.close();
  }
}

const started: Scenario[] = [];

/** Its own redis-server and app per adapter, so that the adapters run side by side. */
async function startScenario(
  adapter: AdapterName,
  delivery: 'inline' | 'background' | 'queue',
  handlerMs: number,
  shutdown: 'hooks' | 'close' = 'hooks',
): Promise<Scenario> {
  const redis = await TestRedisServer.start();
  try {
    const options = moduleOptions(delivery, redis.url);
    const app = await AppProcess.start({ adapter, moduleOptions: options, handlerMs, shutdown });
    const scenario = { app, redis, queueName: options.queue?.name ?? '' };
    started.push(scenario);
    return scenario;
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

function expectOnTime(exit: AppExit, app: AppProcess): void {
  if (exit.afterSigtermMs > EXIT_DEADLINE_MS || (exit.code === null && exit.signal === null)) {
    throw new Error(
      `exited ${exit.afterSigtermMs} ms after SIGTERM (limit ${EXIT_DEADLINE_MS}), ` +
        `code ${exit.code}, signal ${exit.signal}:\n${app.describe()}`,
    );
  }
}

async function perAdapter(run: (adapter: AdapterName) => Promise<void>): Promise<void> {
  await Promise.all(ADAPTERS.map(run));
}

describeWithRedisServer(
  'shutdown ends on time whatever Redis does (SIGTERM, real processes)',
  () => {
    beforeAll(() => {
      ensureBuiltLibrary();
    });
    afterEach(async () => {
      for (const { app, redis } of started.splice(0)) {
        await app.kill();
        await redis.stop();
      }
    });

    describe('queue mode', () => {
      it('Redis healthy: finishes the running job, records it, and exits', async () => {
        await perAdapter(async (adapter) => {
          const scenario = await startScenario(adapter, 'queue', 1000);
          const { app } = scenario;
          expect(await app.send('msg_healthy')).toBe(200);
          await waitFor(() => app.has('started', 'msg_healthy'), 10_000, 'the job to start');
          const exit = await app.terminate();
          expectOnTime(exit, app);
          expect(app.has('handled', 'msg_healthy')).toBe(true);
          expect(exit.signal).toBe('SIGTERM');
          expect(await jobState(scenario, 'msg_healthy')).toBe('completed');
        });
      });

      it('Redis killed before SIGTERM: exits', async () => {
        await perAdapter(async (adapter) => {
          const { app, redis } = await startScenario(adapter, 'queue', 0);
          expect(await app.send('msg_before')).toBe(200);
          await waitFor(() => app.has('handled', 'msg_before'), 10_000, 'the job to be handled');
          await redis.kill();
          // Let the app notice (and its worker start reconnecting), as in a real outage.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          expectOnTime(await app.terminate(), app);
        });
      });

      it('Redis killed during the drain, a handler still running: exits', async () => {
        await perAdapter(async (adapter) => {
          const { app, redis } = await startScenario(adapter, 'queue', 1500);
          expect(await app.send('msg_during')).toBe(200);
          await waitFor(() => app.has('started', 'msg_during'), 10_000, 'the job to start');
          const exiting = app.terminate();
          await new Promise((resolve) => setTimeout(resolve, 300));
          await redis.kill();
          expectOnTime(await exiting, app);
        });
      });

      it('Redis frozen (SIGSTOP) with a job running: exits, and says the job goes back to the queue', async () => {
        await perAdapter(async (adapter) => {
          const scenario = await startScenario(adapter, 'queue', 60_000);
          const { app, redis } = scenario;
          expect(await app.send('msg_frozen')).toBe(200);
          await waitFor(() => app.has('started', 'msg_frozen'), 10_000, 'the job to start');
          redis.freeze();
          const exit = await app.terminate();
          expectOnTime(exit, app);
          expect(
            app.logs.filter((line) =>
              line.text?.includes(workerShutdownTimeoutLogMessage(SHUTDOWN_TIMEOUT_MS)),
            ),
          ).toHaveLength(1);
          // Acknowledged means kept: the job is still in Redis, locked until its lock expires,
          // when another worker's stalled-job check takes it (see delivery-queue.e2e-spec).
          redis.thaw();
          expect(await jobState(scenario, 'msg_frozen')).toBe('active');
        });
      });

      it('Redis killed mid-job, app.close() without a signal: nothing keeps the process alive', async () => {
        await perAdapter(async (adapter) => {
          const { app, redis } = await startScenario(adapter, 'queue', 3000, 'close');
          expect(await app.send('msg_natural')).toBe(200);
          await waitFor(() => app.has('started', 'msg_natural'), 10_000, 'the job to start');
          await redis.kill();
          // BullMQ's worker guards each blocking wait with a one-shot timer (its drainDelay, 5 s,
          // + 1 s) that a dead Redis never clears: it may run until 6 s after the kill.
          await new Promise((resolve) => setTimeout(resolve, 2000));
          const exit = await app.terminate();
          expectOnTime(exit, app);
          // A natural exit: the event loop emptied once app.close() resolved.
          expect(exit).toMatchObject({ code: 0, signal: null });
        });
      });
    });

    describe('in-process modes with the Redis idempotency store', () => {
      it('inline, Redis killed while a delivery is handled: answers it and exits', async () => {
        await perAdapter(async (adapter) => {
          const { app, redis } = await startScenario(adapter, 'inline', 1000);
          const answer = app.send('msg_inline');
          await waitFor(() => app.has('started', 'msg_inline'), 10_000, 'the handler to start');
          await redis.kill();
          const exiting = app.terminate();
          // Handled: 200 even though Redis could not record it (a redelivery may run it again).
          expect(await answer).toBe(200);
          expectOnTime(await exiting, app);
        });
      });

      it('inline, Redis frozen, a handler outliving the deadline: answers it 503 (Visiwise retries) and exits', async () => {
        await perAdapter(async (adapter) => {
          const { app, redis } = await startScenario(adapter, 'inline', 60_000);
          const answer = app.send('msg_inline_stuck');
          await waitFor(
            () => app.has('started', 'msg_inline_stuck'),
            10_000,
            'the handler to start',
          );
          redis.freeze();
          const exiting = app.terminate();
          // Not acknowledged: the HTTP server could not close while it waited for this request.
          expect(await answer).toBe(503);
          expectOnTime(await exiting, app);
          expect(
            app.logs.filter((line) =>
              line.text?.includes(shutdownTimeoutLogMessage(1, SHUTDOWN_TIMEOUT_MS)),
            ),
          ).toHaveLength(1);
        });
      });

      it('background, Redis killed, an acknowledged delivery outlives the deadline: exits and logs the loss', async () => {
        await perAdapter(async (adapter) => {
          const { app, redis } = await startScenario(adapter, 'background', 60_000);
          expect(await app.send('msg_background')).toBe(200);
          await waitFor(() => app.has('started', 'msg_background'), 10_000, 'the handler to start');
          await redis.kill();
          const exit = await app.terminate();
          expectOnTime(exit, app);
          expect(
            app.logs.filter(
              (line) =>
                line.level === 'error' &&
                line.text?.includes(shutdownTimeoutLogMessage(1, SHUTDOWN_TIMEOUT_MS)),
            ),
          ).toHaveLength(1);
        });
      });
    });
  },
);
