import type { ChildProcess } from 'node:child_process';
import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import {
  VISIWISE_DELIVERY_FAILED_EVENT,
  VisiwiseDeadLetterService,
  VisiwiseDeliveryFailure,
  VisiwiseEnvelopeInput,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import { pgBossSchemaFor } from '../libs/visiwise-webhook/src/delivery/delivery-config';
import {
  jobFailedLogMessage,
  pgBossShutdownTimeoutLogMessage,
  pgBossStoreFailedLogMessage,
  unhandledJobLogMessage,
  unparseableKeptLogMessage,
} from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import {
  pgBossJobIdFor,
  pgBossUnparseableJobIdFor,
} from '../libs/visiwise-webhook/src/delivery/queued-event';
import { VisiwiseDeliveryRuntime } from '../libs/visiwise-webhook/src/delivery/visiwise-delivery.runtime';
import { invalidJsonMessage } from '../libs/visiwise-webhook/src/events/events.messages';
import { startQueueWorker } from './support/queue-worker-process';
import { ADAPTERS, AdapterName } from './support/adapters';
import { AppProcess } from './support/app-process';
import { ensureBuiltLibrary } from './support/built-library';
import { shipmentTracked } from './support/payloads';
import { parseExposition, valueOf } from './support/prometheus';
import { DATABASE_URL, describeWithPostgres, testPool, uniqueSchema } from './support/postgres';
import { TestPostgresServer, describeWithPostgresServer } from './support/postgres-server';
import { uniqueName, waitFor } from './support/redis';
import {
  WebhookTestApp,
  createWebhookTestApp,
  latch,
  sendSigned,
} from './support/webhook-test-app';

/*
 * The queue mode on PostgreSQL (pg-boss 10), over real HTTP with real signatures on Express and
 * Fastify, with `database` and no `redis`: the engine is pg-boss by default then. Every suite has
 * a schema of its own for the package's tables, and the pg-boss schema derived from it; both are
 * dropped at the end. Retries, expiry and maintenance are set to seconds, not minutes.
 */

// Backoff, job expiry and pg-boss maintenance run on real timers.
jest.setTimeout(60_000);

const send = sendSigned;

/** A signed body that is not JSON (the unparseable case) and the reader that makes it an event. */
const LINE_BODY = `shipment.tracked\n${JSON.stringify({ trackingReference: 'MSCU1234566' })}`;
const readLineEnvelope = (rawBody: Buffer): VisiwiseEnvelopeInput | undefined => {
  const [type, json] = rawBody.toString('utf8').split('\n', 2);
  return type === undefined || json === undefined
    ? undefined
    : { type, data: JSON.parse(json) as Record<string, unknown> };
};

/** Module options of the queue mode on pg-boss, with seconds-long timings. */
function pgBossOptions(
  url: string,
  schema: string,
  name: string,
  queue: VisiwiseWebhookModuleOptions['queue'] = {},
  shutdownTimeoutMs = 3000,
): VisiwiseWebhookModuleOptions {
  return {
    delivery: 'queue',
    database: { url, schema, migrate: true },
    queue: {
      name,
      attempts: 3,
      backoffDelayMs: 1000,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
      pollingIntervalMs: 200,
      enqueueTimeoutMs: 2000,
      ...queue,
    },
    shutdownTimeoutMs,
  };
}

/** A job of pg-boss's table, read directly: what is stored, whatever the module says. */
interface StoredJob {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly data: { id: string; type?: string; endpoint?: string };
}

async function storedJobs(pool: Pool, schema: string, name: string): Promise<StoredJob[]> {
  const { rows } = await pool.query<StoredJob>(
    `SELECT id, name, state, data FROM "${pgBossSchemaFor({ schema })}".job
      WHERE name = $1 ORDER BY created_on`,
    [name],
  );
  return rows;
}

async function dropSchemas(pool: Pool, schema: string): Promise<void> {
  for (const name of [pgBossSchemaFor({ schema }), schema]) {
    await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  }
}

@Injectable()
class FailureWatcher {
  readonly failures: VisiwiseDeliveryFailure[] = [];
  @OnEvent(VISIWISE_DELIVERY_FAILED_EVENT)
  onFailure(failure: VisiwiseDeliveryFailure): void {
    this.failures.push(failure);
  }
}

/** Starts apps for one suite and closes them (checking their logs) after each test. */
function appsOf(adapter: AdapterName, secret: string) {
  let apps: WebhookTestApp[] = [];
  afterEach(async () => {
    const started = apps;
    apps = [];
    for (const t of started) {
      await t.close();
    }
    for (const t of started) {
      t.logger.assertNoUnexpected();
    }
  });
  return {
    async start(
      options: VisiwiseWebhookModuleOptions,
      registration: 'forRoot' | 'forRootAsync' = 'forRoot',
    ): Promise<WebhookTestApp> {
      const t = await createWebhookTestApp({
        adapter,
        registration,
        secret,
        moduleOptions: options,
        providers: [FailureWatcher],
      });
      apps.push(t);
      return t;
    },
    /** Takes an app out of the automatic clean-up (the test closes it itself). */
    release(t: WebhookTestApp): void {
      apps = apps.filter((a) => a !== t);
    },
  };
}

describeWithPostgres.each(ADAPTERS)('queue mode on pg-boss, on %s (real PostgreSQL)', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  const schema = uniqueSchema(`pgq_${adapter}`);
  let pool: Pool;
  let name: string;
  const apps = appsOf(adapter, secret);
  const options = (queue: VisiwiseWebhookModuleOptions['queue'] = {}) =>
    pgBossOptions(DATABASE_URL, schema, name, queue);

  beforeAll(() => {
    pool = testPool();
  });
  beforeEach(() => {
    name = uniqueName('pgboss');
  });
  afterAll(async () => {
    await dropSchemas(pool, schema);
    await pool.end();
  });

  it('stores the delivery as a job before answering; a worker elsewhere handles it once', async () => {
    const receiver = await apps.start(options({ worker: false }));
    const response = await send(receiver, secret, 'msg_pg_stored');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'received' });

    // Acknowledged means stored: the job is in pg-boss's table, under the id derived from the
    // delivery id, with the event.
    const [job, ...others] = await storedJobs(pool, schema, name);
    expect(others).toEqual([]);
    expect(job).toMatchObject({
      id: pgBossJobIdFor(name, 'msg_pg_stored'),
      state: 'created',
      data: { id: 'msg_pg_stored', type: 'shipment.tracked', endpoint: 'default' },
    });
    expect(receiver.handlers.calls).toEqual([]);
    expect(receiver.app.get(VisiwiseDeliveryRuntime).workerRunning()).toBeUndefined();

    // Svix's retries (same id, new signature), one after the other and at once, collapse into it.
    const body = JSON.stringify(shipmentTracked());
    expect((await send(receiver, secret, 'msg_pg_stored', body)).status).toBe(200);
    const copies = await Promise.all(
      Array.from({ length: 10 }, () => send(receiver, secret, 'msg_pg_stored', body)),
    );
    expect(copies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await storedJobs(pool, schema, name)).toHaveLength(1);

    // A worker on another instance handles it, once.
    const worker = await apps.start(options(), 'forRootAsync');
    await waitFor(() => worker.handlers.tracked.length === 1, 10_000, 'the worker to handle it');
    expect(worker.app.get(VisiwiseDeliveryRuntime).workerRunning()).toBe(true);
    const [event] = worker.handlers.tracked;
    expect(event).toMatchObject({ id: 'msg_pg_stored', endpoint: 'default' });
    expect(event!.data.trackingReference).toBe('MSCU1234566');
    await waitFor(
      async () => (await storedJobs(pool, schema, name))[0]?.state === 'completed',
      5000,
      'the job to be completed',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(worker.handlers.calls).toEqual(['msg_pg_stored']);

    // A completed job still collapses a late retry (keepCompletedSeconds): no second run.
    expect((await send(receiver, secret, 'msg_pg_stored')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(worker.handlers.calls).toEqual(['msg_pg_stored']);
  });

  it('retries a failing handler with backoff, keeps it failed after its attempts, and replays it', async () => {
    const registry = new Registry();
    const scrape = async () => parseExposition(await registry.metrics());
    const t = await apps.start({ ...options(), metrics: { registry } });
    t.handlers.failWith = new Error('carrier API rejected the update');
    const startedAt: number[] = [];
    expect((await send(t, secret, 'msg_pg_dead')).status).toBe(200);
    for (const run of [1, 2, 3]) {
      await waitFor(() => t.handlers.calls.length === run, 15_000, `attempt ${run}`);
      startedAt.push(Date.now());
    }
    // pg-boss's backoff: 1-2 s before the second attempt, 2-4 s before the third.
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(900);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(1900);

    const deadLetters = t.app.get(VisiwiseDeadLetterService);
    await waitFor(async () => (await deadLetters.count()) === 1, 5000, 'the job to fail for good');
    const [entry, ...rest] = await deadLetters.list();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      id: 'msg_pg_dead',
      endpoint: 'default',
      type: 'shipment.tracked',
      cause: 'failed',
      attemptsMade: 3,
    });
    expect(entry!.failedReason).toContain('carrier API rejected the update');
    expect(entry!.failedAt).toBeInstanceOf(Date);
    expect((await storedJobs(pool, schema, name))[0]?.state).toBe('failed');
    // The application is told once, when the last attempt failed.
    const failures = t.app.get(FailureWatcher).failures;
    expect(failures.map((f) => [f.event.id, f.mode])).toEqual([['msg_pg_dead', 'queue']]);
    for (const attempt of [1, 2, 3]) {
      expect(
        t.logger.take('error', jobFailedLogMessage('msg_pg_dead', 'shipment.tracked', attempt, 3)),
      ).toHaveLength(1);
    }
    // The same telemetry as the BullMQ engine; job counts read from pg-boss's table on scrape.
    await waitFor(
      async () => valueOf(await scrape(), 'visiwise_webhook_queue_jobs', { state: 'failed' }) === 1,
      8000,
      'the failed-jobs gauge',
    );
    const samples = await scrape();
    expect(valueOf(samples, 'visiwise_webhook_retries_total', { endpoint: 'default' })).toBe(2);
    expect(valueOf(samples, 'visiwise_webhook_dead_letters_total', { cause: 'failed' })).toBe(1);
    expect(valueOf(samples, 'visiwise_webhook_handler_failures_total')).toBe(3);
    expect(valueOf(samples, 'visiwise_webhook_queue_jobs', { queue: name, state: 'waiting' })).toBe(
      0,
    );

    // Svix redelivering the same id does not create a second job.
    expect((await send(t, secret, 'msg_pg_dead')).status).toBe(200);
    expect(await deadLetters.count()).toBe(1);
    expect(t.handlers.calls).toHaveLength(3);

    // Fixed: replayed with a fresh budget (it may fail once more and still be retried).
    t.handlers.failWith = undefined;
    t.handlers.failTimes = 1;
    expect(await deadLetters.replay('msg_pg_dead')).toBe(true);
    expect(await deadLetters.replay('msg_pg_dead')).toBe(false);
    await waitFor(() => t.handlers.tracked.length === 1, 10_000, 'the replayed job');
    expect(t.handlers.calls).toHaveLength(5);
    expect(await deadLetters.count()).toBe(0);
    t.logger.take('error', 'transient handler failure');
  });

  it('keeps a signed body that is not JSON as a failed job of its own, and replays it once readable', async () => {
    const before = await apps.start(options());
    await send(before, secret, 'msg_pg_line', LINE_BODY).expect(200, { status: 'unparseable' });
    // Stored, and failed at once: no worker needed to make it a dead letter.
    const [job] = await storedJobs(pool, schema, name);
    expect(job).toMatchObject({
      id: pgBossUnparseableJobIdFor(name, 'msg_pg_line'),
      state: 'failed',
    });
    const deadLetters = before.app.get(VisiwiseDeadLetterService);
    const [entry, ...rest] = await deadLetters.list();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      id: 'msg_pg_line',
      endpoint: 'default',
      type: undefined,
      cause: 'unparseable',
      failedReason: invalidJsonMessage(),
      attemptsMade: 0,
      data: {},
    });
    expect(entry?.delivery?.reason).toBe('invalid_json');
    expect(Buffer.from(entry?.delivery?.rawBody ?? '', 'base64').toString()).toBe(LINE_BODY);
    expect(before.handlers.any).toEqual([]);
    expect(
      before.logger.take('warn', unparseableKeptLogMessage('msg_pg_line', 'invalid_json')),
    ).toHaveLength(1);
    // Its retry by Svix is the same job.
    await send(before, secret, 'msg_pg_line', LINE_BODY).expect(200, { status: 'unparseable' });
    expect(await deadLetters.count()).toBe(1);

    // An instance with the fix reads it anew on replay, and queues it as the event it is.
    const fixed = await apps.start(
      { ...options(), readEnvelope: readLineEnvelope },
      'forRootAsync',
    );
    expect(await fixed.app.get(VisiwiseDeadLetterService).replay('msg_pg_line')).toBe(true);
    await waitFor(
      () => fixed.handlers.tracked.length + before.handlers.tracked.length === 1,
      10_000,
      'the replayed event',
    );
    const [event] = [...fixed.handlers.tracked, ...before.handlers.tracked];
    expect(event).toMatchObject({ id: 'msg_pg_line', endpoint: 'default' });
    expect(event!.data.trackingReference).toBe('MSCU1234566');
    expect(await deadLetters.count()).toBe(0);
  });

  it.each([
    ['complete', 'completed'],
    ['dead-letter', 'failed'],
  ] as const)(
    "a worker without a handler for the job's type: unhandledJobs '%s'",
    async (unhandledJobs, state) => {
      const t = await apps.start(options({ unhandledJobs }));
      t.app.get(EventEmitter2).removeAllListeners();
      const body = JSON.stringify({ type: 'shipment.created', data: {} });
      await send(t, secret, 'msg_pg_unhandled', body).expect(200);
      await waitFor(
        async () => (await storedJobs(pool, schema, name))[0]?.state === state,
        8000,
        `the job to be ${state}`,
      );
      const entries = await t.app.get(VisiwiseDeadLetterService).list();
      expect(entries.map((entry) => [entry.id, entry.cause, entry.attemptsMade])).toEqual(
        state === 'failed' ? [['msg_pg_unhandled', 'no_handler', 1]] : [],
      );
      expect(
        t.logger.take(
          'warn',
          unhandledJobLogMessage('shipment.created', unhandledJobs === 'dead-letter'),
        ),
      ).toHaveLength(1);
    },
  );

  it('runs queue.concurrency jobs at once, and the next as soon as a slot frees up', async () => {
    // A long poll interval: only the wake-ups (a job sent here, a slot freed) can be this quick.
    const t = await apps.start(options({ concurrency: 2, pollingIntervalMs: 10_000 }));
    const gate = latch();
    t.handlers.gate = gate.promise;
    for (const id of ['msg_pg_c1', 'msg_pg_c2', 'msg_pg_c3']) {
      await send(t, secret, id).expect(200);
    }
    await waitFor(() => t.handlers.calls.length === 2, 5000, 'two jobs at once');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(t.handlers.calls).toHaveLength(2);
    gate.open();
    await waitFor(() => t.handlers.tracked.length === 3, 3000, 'the third job');
    expect(t.handlers.tracked.map((e) => e.id).sort()).toEqual([
      'msg_pg_c1',
      'msg_pg_c2',
      'msg_pg_c3',
    ]);
  });

  it('finishes a running job before shutting down', async () => {
    const t = await apps.start(options());
    apps.release(t);
    const gate = latch();
    t.handlers.gate = gate.promise;
    expect((await send(t, secret, 'msg_pg_drain')).status).toBe(200);
    await waitFor(() => t.handlers.calls.length === 1, 10_000, 'the job to start');
    const began = Date.now();
    const closed = t.close();
    setTimeout(gate.open, 500);
    await closed;
    expect(Date.now() - began).toBeLessThan(3000);
    expect(t.handlers.tracked.map((e) => e.id)).toEqual(['msg_pg_drain']);
    expect((await storedJobs(pool, schema, name))[0]?.state).toBe('completed');
    t.logger.assertNoUnexpected();
  });

  it('gives two endpoints two queues whose jobs do not mix', async () => {
    const eu = generateVisiwiseWebhookSecret();
    const us = generateVisiwiseWebhookSecret();
    const t = await apps.start({
      ...options(),
      endpoints: { eu: { secret: eu }, us: { secret: us } },
    });
    // The same svix-id on two endpoints is two deliveries.
    await send(t, eu, 'msg_pg_both', undefined, '/webhooks/visiwise/eu').expect(200);
    await send(t, us, 'msg_pg_both', undefined, '/webhooks/visiwise/us').expect(200);
    await waitFor(() => t.handlers.tracked.length === 2, 10_000, 'both events');
    expect(t.handlers.tracked.map((e) => e.endpoint).sort()).toEqual(['eu', 'us']);
    for (const endpoint of ['eu', 'us']) {
      const jobs = await storedJobs(pool, schema, `${name}-${endpoint}`);
      expect(jobs).toEqual([
        expect.objectContaining({
          id: pgBossJobIdFor(`${name}-${endpoint}`, 'msg_pg_both'),
          state: 'completed',
          data: expect.objectContaining({ id: 'msg_pg_both', endpoint }),
        }),
      ]);
    }
    expect(await storedJobs(pool, schema, name)).toEqual([]);
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
      const worker = startQueueWorker(behaviour, { secret, ...options() });
      children.push(worker.child);
      return worker;
    };

    it("hands the job to another worker once the job's expiry passed, and it is handled once", async () => {
      const receiver = await apps.start(options({ worker: false }));
      const first = startWorker('hang');
      await waitFor(() => first.messages.some((m) => m.kind === 'ready'), 20_000, 'worker 1');

      expect((await send(receiver, secret, 'msg_pg_stalled')).status).toBe(200);
      await waitFor(
        () => first.messages.some((m) => m.kind === 'started'),
        10_000,
        'worker 1 to take the job',
      );
      first.child.kill('SIGKILL');

      const second = startWorker('handle');
      await waitFor(
        () => second.messages.some((m) => m.kind === 'handled' && m.id === 'msg_pg_stalled'),
        30_000,
        'worker 2 to take over the expired job',
      );
      await waitFor(
        async () => (await storedJobs(pool, schema, name))[0]?.state === 'completed',
        5000,
        'the job to be completed',
      );
      expect(first.messages.some((m) => m.kind === 'handled')).toBe(false);
      expect(second.messages.filter((m) => m.kind === 'started')).toHaveLength(1);
    });
  });
});

describeWithPostgresServer('queue mode on pg-boss when PostgreSQL goes away', () => {
  // A PostgreSQL server of this suite's own, killed (SIGKILL) and restarted by the tests.
  let server: TestPostgresServer | undefined;
  const db = (): TestPostgresServer => {
    if (!server) throw new Error('the test server starts in beforeAll');
    return server;
  };

  beforeAll(async () => {
    ensureBuiltLibrary();
    server = await TestPostgresServer.start();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  describe.each(ADAPTERS)('on %s', (adapter) => {
    const secret = generateVisiwiseWebhookSecret();
    const schema = uniqueSchema(`pgdown_${adapter}`);
    const apps = appsOf(adapter, secret);
    let name: string;

    beforeEach(() => {
      name = uniqueName('pgboss-down');
    });
    afterEach(async () => {
      await db().restart();
    });

    it('answers 503 at once while the database is down, stores nothing, and takes deliveries again once it is back', async () => {
      const t = await apps.start(pgBossOptions(db().url, schema, name));
      await send(t, secret, 'msg_pg_before').expect(200);
      await waitFor(() => t.handlers.tracked.length === 1, 10_000, 'the first event');

      await db().kill();
      const began = Date.now();
      const down = await send(t, secret, 'msg_pg_outage');
      // enqueueTimeoutMs is 2000: a database that refuses connections is not even waited for.
      expect(Date.now() - began).toBeLessThan(3000);
      expect(down.status).toBe(503);
      expect(down.body.reason).toBe('queue_unavailable');
      expect((await send(t, secret, 'msg_pg_outage')).status).toBe(503);
      // The outage is one line, however many deliveries it refuses (the metrics count them).
      const needle = pgBossStoreFailedLogMessage('msg_pg_outage', '').split(' (')[0]!;
      expect(t.logger.take('error', needle)).toHaveLength(1);

      await db().restart();
      const pool = testPool(db().url);
      try {
        // Answered 503 and not stored: nothing was acknowledged that Visiwise will not retry.
        const jobs = await storedJobs(pool, schema, name);
        expect(jobs.map((job) => job.data.id)).toEqual(['msg_pg_before']);
      } finally {
        await pool.end();
      }
      // Svix's retry, once the database is back (the pool reconnects by itself).
      await waitFor(
        async () => (await send(t, secret, 'msg_pg_outage')).status === 200,
        10_000,
        'a 200 after the restart',
      );
      await waitFor(() => t.handlers.tracked.length === 2, 10_000, 'the redelivered event');
      expect(t.handlers.calls).toEqual(['msg_pg_before', 'msg_pg_outage']);
      t.logger.take('error', 'pg-boss maintenance');
    });

    it('ends app.close() on time when the database dies under a job that outlives the drain', async () => {
      // The job's expiry (lockDurationMs) later than the drain's deadline: the drain times out.
      const t = await apps.start(
        pgBossOptions(db().url, schema, name, { lockDurationMs: 10_000 }, 2000),
      );
      apps.release(t);
      t.handlers.gate = new Promise(() => undefined);
      await send(t, secret, 'msg_pg_stuck').expect(200);
      await waitFor(() => t.handlers.calls.length === 1, 10_000, 'the job to start');
      await db().kill();
      const began = Date.now();
      await t.close();
      expect(Date.now() - began).toBeLessThan(2000 + 3000);
      expect(t.logger.take('error', pgBossShutdownTimeoutLogMessage(2000))).toHaveLength(1);
      t.logger.take('error', 'pg-boss maintenance');
      t.logger.assertNoUnexpected();
    });

    it('a process whose database died mid-job exits after app.close(): nothing keeps it alive', async () => {
      // The handler outlives the drain (2 s) by a second, its job's expiry by far.
      const app = await AppProcess.start({
        adapter,
        moduleOptions: {
          secret,
          ...pgBossOptions(db().url, schema, name, { lockDurationMs: 60_000 }, 2000),
        },
        handlerMs: 3000,
        shutdown: 'close',
      });
      try {
        expect(await app.send('msg_pg_exit')).toBe(200);
        await waitFor(() => app.has('started', 'msg_pg_exit'), 10_000, 'the job to start');
        await db().kill();
        const exit = await app.terminate(20_000);
        if (exit.afterSigtermMs > 2000 + 5000 || (exit.code === null && exit.signal === null)) {
          throw new Error(`exited ${exit.afterSigtermMs} ms after SIGTERM:\n${app.describe()}`);
        }
        // A natural exit: the event loop emptied once app.close() resolved.
        expect(exit).toMatchObject({ code: 0, signal: null });
        expect(app.records.some((record) => record.kind === 'closed')).toBe(true);
      } finally {
        await app.kill();
      }
    });
  });
});
