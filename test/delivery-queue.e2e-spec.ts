import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Queue } from 'bullmq';
import {
  VISIWISE_DELIVERY_FAILED_EVENT,
  VisiwiseDeadLetterService,
  VisiwiseDeliveryFailure,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import {
  enqueueFailedLogMessage,
  jobFailedLogMessage,
  redisDownLogMessage,
} from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import { VisiwiseDeliveryRuntime } from '../libs/visiwise-webhook/src/delivery/visiwise-delivery.runtime';
import { startQueueWorker } from './support/queue-worker-process';
import { ADAPTERS } from './support/adapters';
import { ensureBuiltLibrary } from './support/built-library';
import { shipmentTracked } from './support/payloads';
import {
  REDIS_URL,
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniqueName,
  waitFor,
} from './support/redis';
import {
  WebhookTestApp,
  createWebhookTestApp,
  latch,
  sendSigned,
} from './support/webhook-test-app';

// Outage and stalled-job scenarios wait on real timers (reconnects, lock expiry).
jest.setTimeout(40_000);

const send = sendSigned;

/** Queue settings that make retries and stalled-job recovery take seconds, not minutes. */
function queueOptions(
  redis: string,
  name: string,
  keyPrefix: string,
): VisiwiseWebhookModuleOptions {
  return {
    delivery: 'queue',
    redis,
    idempotency: { keyPrefix, leaseSeconds: 1 },
    queue: {
      name,
      attempts: 3,
      backoffDelayMs: 100,
      lockDurationMs: 1500,
      stalledIntervalMs: 500,
      enqueueTimeoutMs: 2000,
    },
    shutdownTimeoutMs: 5000,
  };
}

@Injectable()
class FailureWatcher {
  readonly failures: VisiwiseDeliveryFailure[] = [];
  @OnEvent(VISIWISE_DELIVERY_FAILED_EVENT)
  onFailure(failure: VisiwiseDeliveryFailure): void {
    this.failures.push(failure);
  }
}

describeWithRedis.each(ADAPTERS)('queue mode on %s (real Redis, real BullMQ)', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  let name: string;
  let keyPrefix: string;
  let apps: WebhookTestApp[];

  const start = async (
    options: VisiwiseWebhookModuleOptions,
    registration: 'forRoot' | 'forRootAsync' = 'forRoot',
  ) => {
    const t = await createWebhookTestApp({
      adapter,
      registration,
      secret,
      moduleOptions: options,
      providers: [FailureWatcher],
    });
    apps.push(t);
    return t;
  };

  beforeEach(() => {
    name = uniqueName('queue');
    keyPrefix = `${uniqueName('idem')}:`;
    apps = [];
  });

  afterEach(async () => {
    for (const t of apps) {
      await t.close();
    }
    const queue = new Queue(name, { connection: { url: REDIS_URL } });
    await queue.obliterate({ force: true });
    await queue.close();
    const client = testRedisClient();
    await deleteKeys(client, keyPrefix);
    await client.quit();
    for (const t of apps) {
      t.logger.assertNoUnexpected();
    }
  });

  it('persists the event as a job keyed by svix-id before answering, then a worker handles it', async () => {
    const t = await start({
      ...queueOptions(REDIS_URL, name, keyPrefix),
      queue: { ...queueOptions(REDIS_URL, name, keyPrefix).queue, worker: false },
    });
    const response = await send(t, secret, 'msg_queued');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received' });

    // Acknowledged means stored: the job is in Redis, under the delivery id, with the event.
    const queue = new Queue(name, { connection: { url: REDIS_URL } });
    try {
      const job = await queue.getJob('msg_queued');
      expect(job?.data).toMatchObject({ id: 'msg_queued', type: 'shipment.tracked' });
      expect(await job?.getState()).toBe('waiting');
    } finally {
      await queue.close();
    }
    expect(t.handlers.calls).toEqual([]);

    // A worker on another instance handles it.
    const worker = await start(queueOptions(REDIS_URL, name, keyPrefix), 'forRootAsync');
    await waitFor(
      () => worker.handlers.tracked.length === 1,
      10_000,
      'the worker to handle the job',
    );
    expect(worker.handlers.tracked[0]!.id).toBe('msg_queued');
    expect(worker.handlers.tracked[0]!.data.trackingReference).toBe('MSCU1234566');
  });

  it('runs the handler once for 50 concurrent copies split across two instances', async () => {
    const a = await start(queueOptions(REDIS_URL, name, keyPrefix));
    const b = await start(queueOptions(REDIS_URL, name, keyPrefix), 'forRootAsync');
    const body = JSON.stringify(shipmentTracked());
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(i % 2 ? a : b, secret, 'msg_q_fifty', body)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    await waitFor(
      () => a.handlers.tracked.length + b.handlers.tracked.length === 1,
      10_000,
      'one handler run',
    );
    // Give any wrongly duplicated job time to run before asserting it did not.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...a.handlers.calls, ...b.handlers.calls]).toEqual(['msg_q_fifty']);
  });

  it('retries a job whose handler failed, with backoff, until it succeeds', async () => {
    const t = await start(queueOptions(REDIS_URL, name, keyPrefix));
    t.handlers.failTimes = 1;
    expect((await send(t, secret, 'msg_q_retry')).status).toBe(200);
    await waitFor(() => t.handlers.tracked.length === 1, 10_000, 'the retried job');
    expect(t.handlers.calls).toEqual(['msg_q_retry', 'msg_q_retry']);
    expect(
      t.logger.take('error', jobFailedLogMessage('msg_q_retry', 'shipment.tracked', 1, 3)),
    ).toHaveLength(1);
    expect(t.app.get(FailureWatcher).failures).toHaveLength(0);
  });

  it('moves a permanently failing job to the failed set, where it can be listed and replayed', async () => {
    const t = await start(queueOptions(REDIS_URL, name, keyPrefix));
    t.handlers.failWith = new Error('carrier API rejected the update');
    expect((await send(t, secret, 'msg_q_dead')).status).toBe(200);

    const deadLetters = t.app.get(VisiwiseDeadLetterService);
    await waitFor(
      async () => (await deadLetters.count()) === 1,
      15_000,
      'the job to fail for good',
    );
    expect(t.handlers.calls).toEqual(['msg_q_dead', 'msg_q_dead', 'msg_q_dead']);
    const [failed] = await deadLetters.list();
    expect(failed).toMatchObject({ id: 'msg_q_dead', type: 'shipment.tracked', attemptsMade: 3 });
    expect(failed!.failedReason).toContain('carrier API rejected the update');
    // The application is told once, when the last attempt failed.
    const failures = t.app.get(FailureWatcher).failures;
    expect(failures.map((f) => [f.event.id, f.mode])).toEqual([['msg_q_dead', 'queue']]);
    expect(
      t.logger.take('error', jobFailedLogMessage('msg_q_dead', 'shipment.tracked', 3, 3)),
    ).toHaveLength(1);
    t.logger.take('error', jobFailedLogMessage('msg_q_dead', 'shipment.tracked', 1, 3));
    t.logger.take('error', jobFailedLogMessage('msg_q_dead', 'shipment.tracked', 2, 3));

    // Svix redelivering the same id does not create a second job.
    expect((await send(t, secret, 'msg_q_dead')).status).toBe(200);
    expect(await deadLetters.count()).toBe(1);

    // Fixed: replay it.
    t.handlers.failWith = undefined;
    expect(await deadLetters.replay('msg_q_dead')).toBe(true);
    await waitFor(() => t.handlers.tracked.length === 1, 10_000, 'the replayed job');
    expect(await deadLetters.count()).toBe(0);
    expect(await deadLetters.replay('msg_q_dead')).toBe(false);
  });

  it('finishes an active job before shutting down', async () => {
    const t = await start(queueOptions(REDIS_URL, name, keyPrefix));
    const gate = latch();
    t.handlers.gate = gate.promise;
    expect((await send(t, secret, 'msg_q_drain')).status).toBe(200);
    await waitFor(() => t.handlers.calls.length === 1, 10_000, 'the job to start');
    apps = apps.filter((a) => a !== t);
    const closed = t.close();
    setTimeout(gate.open, 200);
    await closed;
    expect(t.handlers.tracked.map((e) => e.id)).toEqual(['msg_q_drain']);
    const queue = new Queue(name, { connection: { url: REDIS_URL } });
    try {
      expect(await (await queue.getJob('msg_q_drain'))?.getState()).toBe('completed');
    } finally {
      await queue.close();
    }
    t.logger.assertNoUnexpected();
  });

  describe('Redis outage', () => {
    const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
    const run = hasRedisServer ? it : it.skip;
    let server: ChildProcess | undefined;
    let port: number;

    const startRedis = async () => {
      server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      const client = testRedisClient(`redis://127.0.0.1:${port}`);
      client.on('error', () => undefined);
      try {
        await waitFor(
          async () => (await client.ping().catch(() => '')) === 'PONG',
          5000,
          'redis-server',
        );
      } finally {
        client.disconnect();
      }
    };
    const stopRedis = async () => {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server?.kill('SIGKILL');
      await exited;
      server = undefined;
    };

    beforeEach(async () => {
      port = await freePort();
      await startRedis();
    });
    afterEach(async () => {
      if (!server) await startRedis();
    });
    afterAll(async () => {
      if (server) await stopRedis();
    });

    run(
      'answers 503 while Redis is down, and the redelivery succeeds once it is back',
      async () => {
        const redis = `redis://127.0.0.1:${port}`;
        const t = await start(queueOptions(redis, name, keyPrefix));
        await stopRedis();
        const monitor = t.app.get(VisiwiseDeliveryRuntime).redisConnection();
        await waitFor(() => monitor?.isUp === false, 5000, 'the outage to be noticed');

        const down = await send(t, secret, 'msg_q_outage');
        expect(down.status).toBe(503);
        expect(down.body.reason).toBe('queue_unavailable');
        expect(t.handlers.calls).toEqual([]);
        // The outage is one line; the delivery it refused adds none (the metrics count it).
        expect(t.logger.take('error', 'Lost the connection to Redis')).toHaveLength(1);
        expect(t.logger.take('error', enqueueFailedLogMessage('msg_q_outage'))).toHaveLength(0);

        await startRedis();
        // Svix's retry: same id, new signature. ioredis reconnects on its own.
        await waitFor(
          async () => (await send(t, secret, 'msg_q_outage')).status === 200,
          10_000,
          'a 200 after Redis is back',
        );
        await waitFor(
          () => t.handlers.tracked.length === 1,
          10_000,
          'the redelivered event to be handled',
        );
        // Expected while Redis was down: the outage, logged once (see redis-outage-logs).
        t.logger.take('error', enqueueFailedLogMessage('msg_q_outage'));
        t.logger.take(
          'error',
          redisDownLogMessage(`redis://127.0.0.1:${port}`, 'dedupe, queue, dead letters', ''),
        );
        apps = apps.filter((a) => a !== t);
        await t.close();
      },
    );
  });

  describe('a worker process killed mid-job', () => {
    const children: ChildProcess[] = [];

    beforeAll(() => {
      ensureBuiltLibrary();
    });
    afterEach(() => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
    });

    const startWorker = (behaviour: 'hang' | 'handle') => {
      const worker = startQueueWorker(behaviour, {
        secret,
        ...queueOptions(REDIS_URL, name, keyPrefix),
      });
      children.push(worker.child);
      return worker;
    };

    it('hands the job to another worker after the lock expires (stalled-job recovery)', async () => {
      const receiver = await start({
        ...queueOptions(REDIS_URL, name, keyPrefix),
        queue: { ...queueOptions(REDIS_URL, name, keyPrefix).queue, worker: false },
      });
      const first = startWorker('hang');
      await waitFor(
        () => first.messages.some((m) => m.kind === 'ready'),
        20_000,
        'worker 1 to start',
      );

      expect((await send(receiver, secret, 'msg_q_stalled')).status).toBe(200);
      await waitFor(
        () => first.messages.some((m) => m.kind === 'started'),
        10_000,
        'worker 1 to take the job',
      );
      first.child.kill('SIGKILL');

      const second = startWorker('handle');
      await waitFor(
        () => second.messages.some((m) => m.kind === 'handled' && m.id === 'msg_q_stalled'),
        30_000,
        'worker 2 to recover and handle the stalled job',
      );
      expect(first.messages.some((m) => m.kind === 'handled')).toBe(false);
    });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
