import type { Logger } from '@nestjs/common';
import type { Job, Queue, Worker } from 'bullmq';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import type { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import type { EnvelopeParseResult } from '../events/visiwise-event.parser';
import { QUEUE_JOB_NAME, UNPARSEABLE_JOB_NAME } from './delivery.constants';
import type { ResolvedDeliveryConfig } from './delivery-config';
import {
  connectionCutLogMessage,
  enqueueFailedLogMessage,
  jobFailedLogMessage,
  queueUnavailableMessage,
  shuttingDownMessage,
  unhandledJobLogMessage,
  unhandledJobReason,
  unparseableKeptLogMessage,
  workerCutLogMessage,
  workerRestartLogMessage,
  workerShutdownTimeoutLogMessage,
} from './delivery.messages';
import { logHandlerErrors } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import { HandleDependencies, runHandlers } from './handle-once';
import { toEvent, type EventSource } from './event-reader';
import { InFlight } from './in-flight';
import {
  VisiwiseJobData,
  fromQueuedEvent,
  jobIdFor,
  toQueuedEvent,
  unparseableJobIdFor,
} from './queued-event';
import type { RedisConnectionMonitor } from './redis-connection.monitor';
import { settleWithin, waitUntil } from './shutdown-deadline';
import {
  UnparseableVisiwiseDelivery,
  isUnparseableDelivery,
  unparseableBody,
} from './unparseable-delivery';

type WorkerConnection = NonNullable<ConstructorParameters<BullMq['Worker']>[2]>['connection'];

/** How often the worker's health is checked (a BullMQ worker whose loop died is replaced). */
const WORKER_WATCHDOG_MS = 2000;

/**
 * After the drain, how long BullMQ's own close (quit, with `force` once the drain is over) may take
 * before the connections are cut. Counted on top of `shutdownTimeoutMs`; kept well under the 5 s
 * that the shutdown may exceed it by, since the HTTP server closes in the same window.
 */
export const CONNECTION_CLOSE_GRACE_MS = 1000;

/** How long cutting a connection (ioredis `disconnect()`, which waits for 'end') is waited for. */
const CUT_WAIT_MS = 250;

type BullMq = typeof import('bullmq');

/** What the queue strategy is built from (connections are created and owned by the runtime). */
export interface QueueStrategyDependencies extends HandleDependencies {
  readonly publisher: VisiwiseEventPublisher;
  readonly bullmq: BullMq;
  readonly queue: Queue<VisiwiseJobData>;
  /** Reads the envelope of a kept delivery's raw body, as the receiver does (with `readEnvelope`). */
  readonly readEnvelope: (source: EventSource) => EnvelopeParseResult;
  /**
   * Connection options of the worker (BullMQ creates and closes its connections), or undefined
   * when this instance runs no worker.
   */
  readonly workerConnection: WorkerConnection | undefined;
  /** Whether Redis answers; the worker's and queue's errors are reported to it. */
  readonly connection: RedisConnectionMonitor;
  readonly config: ResolvedDeliveryConfig['queue'];
  /** The name of the endpoint whose queue this is. */
  readonly endpoint: string;
}

/**
 * `delivery: 'queue'`: the verified event is persisted as a BullMQ job (id = svix-id) before the
 * 200, and workers run the handlers with retries and exponential backoff. A job that exhausts its
 * attempts stays in the failed set, with its error, until replayed. If Redis cannot store the job
 * the delivery is answered 503, so Visiwise retries: nothing is acknowledged that was not stored.
 * A worker killed mid-job leaves the job locked; BullMQ's stalled-job check hands it to another
 * worker once the lock expires.
 */
export class QueueDeliveryStrategy implements DeliveryStrategy {
  private worker: Worker<VisiwiseJobData> | undefined;
  /** Set once the current worker's close (graceful or forced) has settled. */
  private workerClosed = false;
  /** Workers replaced by the watchdog, whose close may still hang on a broken connection. */
  private readonly retired = new Set<Worker<VisiwiseJobData>>();
  /** Handlers running now (BullMQ's bookkeeping around them is not counted). */
  private readonly running = new InFlight();
  private watchdog: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly reported = new Set<string>();

  constructor(
    private readonly deps: QueueStrategyDependencies,
    private readonly logger: Logger,
  ) {}

  async deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus> {
    // A job with the same id already existing is not an error: BullMQ returns it unchanged.
    const queued = toQueuedEvent(event, this.deps.telemetry.carrier(trace));
    await this.persist(QUEUE_JOB_NAME, queued, jobIdFor(event.id, event.tenant));
    return 'received';
  }

  /**
   * Kept as a job of its own id that fails at once into the failed set (the queue mode's dead
   * letters). Replaying it runs it again: the worker reads its body anew, with whatever
   * `readEnvelope` it has then, and if it is an event now, queues it as one (the delivery's usual
   * job, with its attempts and backoff).
   */
  async keepUnparseable(delivery: UnparseableVisiwiseDelivery): Promise<VisiwiseAckStatus> {
    await this.persist(
      UNPARSEABLE_JOB_NAME,
      delivery,
      unparseableJobIdFor(delivery.id, delivery.tenant),
      { attempts: 1 },
    );
    this.deps.telemetry.deadLettered(undefined, 'unparseable', this.deps.endpoint);
    this.reportOnce(`unparseable:${delivery.reason}`, () => {
      this.logger.warn(unparseableKeptLogMessage(delivery.id, delivery.reason));
    });
    return 'unparseable';
  }

  /** Adds a job within `enqueueTimeoutMs`, or throws the 503 that makes Visiwise retry. */
  private async persist(
    name: string,
    data: VisiwiseJobData,
    jobId: string,
    options: { readonly attempts?: number } = {},
  ): Promise<void> {
    if (this.closing) {
      throw new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
    }
    const { queue, config } = this.deps;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.add(name, data, { jobId, ...options }),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`not stored within ${config.enqueueTimeoutMs} ms`));
          }, config.enqueueTimeoutMs);
        }),
      ]);
    } catch (error) {
      if (!this.deps.inRedisOutage()) {
        this.logger.error(
          `${enqueueFailedLogMessage(data.id)} ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      throw new VisiwiseWebhookException('queue_unavailable', queueUnavailableMessage());
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether this process's worker runs; undefined when it runs none (`queue.worker: false`). */
  workerRunning(): boolean | undefined {
    if (!this.deps.workerConnection) {
      return undefined;
    }
    return this.worker?.isRunning() ?? false;
  }

  start(): void {
    if (!this.deps.workerConnection || this.worker || this.closing) {
      return;
    }
    this.createWorker();
    // A BullMQ worker created while its connection is down, or whose loop hit a closed connection,
    // stops for good (isRunning() false) even after ioredis reconnects: the maintainers' advice is
    // to replace it. Checked on a timer that does not keep the process alive.
    this.watchdog = setInterval(() => {
      this.replaceStoppedWorker();
    }, WORKER_WATCHDOG_MS);
    this.watchdog.unref();
  }

  /**
   * Stops taking jobs and waits, until `timeoutMs` at most, for those running: BullMQ's graceful
   * close, which also records each result in Redis. While Redis is down nothing can be recorded,
   * so once the handlers are done there is nothing more to wait for. A job still running at the
   * deadline is left to BullMQ's stalled-job check (see {@link close}).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    const { connection } = this.deps;
    if (!worker || (this.running.size === 0 && !connection.isUp)) {
      // Nothing to wait for, and BullMQ's graceful close would wait on Redis: close() forces it.
      return;
    }
    void worker
      .close()
      .catch(() => undefined)
      .finally(() => {
        this.workerClosed = true;
      });
    await waitUntil(
      () => this.workerClosed || (this.running.size === 0 && !connection.isUp),
      timeoutMs,
    );
    if (this.running.size > 0) {
      this.logger.error(workerShutdownTimeoutLogMessage(timeoutMs));
    }
  }

  /**
   * Closes the worker (forced: jobs still running keep their lock until it expires, then another
   * worker's stalled check takes them) and the queue, each within {@link CONNECTION_CLOSE_GRACE_MS};
   * a close that Redis does not let finish has its connections cut, so that nothing keeps the
   * process alive.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    const closes: Promise<void>[] = [...this.retired].map((retired) =>
      this.closeWorker(retired, false),
    );
    if (worker && !this.workerClosed) {
      closes.push(this.closeWorker(worker, true));
    }
    closes.push(this.closeQueue());
    await Promise.all(closes);
  }

  private async closeWorker(worker: Worker<VisiwiseJobData>, report: boolean): Promise<void> {
    // close(true) skips waiting for running jobs; if the drain's graceful close is under way,
    // BullMQ hands back that one instead, which may wait on Redis forever: hence the bound.
    if (await settleWithin(worker.close(true), CONNECTION_CLOSE_GRACE_MS)) {
      return;
    }
    if (report) {
      this.logger.warn(workerCutLogMessage(CONNECTION_CLOSE_GRACE_MS));
    }
    await cutWorker(worker);
  }

  private async closeQueue(): Promise<void> {
    const { queue } = this.deps;
    if (await settleWithin(queue.close(), CONNECTION_CLOSE_GRACE_MS)) {
      return;
    }
    this.logger.warn(connectionCutLogMessage('The Visiwise queue', CONNECTION_CLOSE_GRACE_MS));
    await settleWithin(queue.disconnect(), CUT_WAIT_MS);
  }

  /** Creates a worker, makes it the current one, and runs it once the connection is ready. */
  private createWorker(): void {
    const { bullmq, config } = this.deps;
    const worker = new bullmq.Worker<VisiwiseJobData>(config.name, (job) => this.process(job), {
      connection: this.deps.workerConnection as unknown as WorkerConnection,
      prefix: config.prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
    });
    // Unlistened, an 'error' would crash the process. Connection errors (one per reconnection
    // attempt) belong to the outage the monitor logs once; others are logged there too.
    worker.on('error', (error) => {
      this.deps.connection.reportError('queue worker', error);
    });
    this.worker = worker;
    this.workerClosed = false;
  }

  private replaceStoppedWorker(): void {
    const worker = this.worker;
    if (this.closing || !worker || worker.isRunning() || !this.deps.connection.isUp) {
      return;
    }
    // Debug only: the monitor has said Redis is back, which is what an operator needs to know.
    this.logger.debug(workerRestartLogMessage());
    // Not awaited: closing a worker whose connection broke can hang (bullmq#2430). Shutdown cuts
    // it if it is still hanging then.
    this.retired.add(worker);
    void worker
      .close(true)
      .catch(() => undefined)
      .finally(() => this.retired.delete(worker));
    this.createWorker();
  }

  /** The event of a job; throws an UnrecoverableError for a body that is still not an event. */
  private eventOf(job: Job<VisiwiseJobData>): AnyVisiwiseEvent {
    const data = job.data;
    if (!isUnparseableDelivery(data)) {
      return fromQueuedEvent(data);
    }
    const parsed = this.deps.readEnvelope({
      rawBody: unparseableBody(data),
      parsedBody: undefined,
    });
    if (!parsed.ok) {
      throw new this.deps.bullmq.UnrecoverableError(data.message);
    }
    const signedAt = new Date(Number(data.headers['svix-timestamp']) * 1000);
    return toEvent(
      parsed.envelope,
      { id: data.id, timestamp: signedAt },
      new Date(data.receivedAt),
      {
        endpoint: data.endpoint ?? this.deps.endpoint,
        tenant: data.tenant,
      },
    );
  }

  private reportOnce(key: string, report: () => void): void {
    if (!this.reported.has(key) && this.reported.size < 1000) {
      this.reported.add(key);
      report();
    }
  }

  private async process(job: Job<VisiwiseJobData>): Promise<void> {
    this.running.enter();
    try {
      await this.handle(job);
    } finally {
      this.running.leave();
    }
  }

  private async handle(job: Job<VisiwiseJobData>): Promise<void> {
    const event = this.eventOf(job);
    if (isUnparseableDelivery(job.data)) {
      // Readable now (a replay after a fix): queued as the event it is, to be handled with the
      // usual attempts; if that job exists already, the event was queued (and handled) before.
      await this.deps.queue.add(QUEUE_JOB_NAME, toQueuedEvent(event, undefined), {
        jobId: jobIdFor(event.id, event.tenant),
      });
      return;
    }
    if (this.deps.publisher.handlerCount(event.type, event.endpoint) === 0) {
      // Completed unhandled (or dead-lettered): a replay after a handler is deployed handles it.
      const deadLetter = this.deps.config.unhandledJobs === 'dead-letter';
      this.deps.telemetry.noHandler(event.type, 'worker', event.endpoint);
      this.reportOnce(`unhandled:${event.type}`, () => {
        this.logger.warn(unhandledJobLogMessage(event.type, deadLetter));
      });
      if (deadLetter) {
        this.deps.telemetry.deadLettered(event.type, 'no_handler', event.endpoint);
        throw new this.deps.bullmq.UnrecoverableError(unhandledJobReason(event.type));
      }
      return;
    }
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    const parent = isUnparseableDelivery(job.data) ? undefined : job.data.trace;
    // No idempotency claim: the job id is the delivery id, so BullMQ keeps one job per delivery
    // while it exists (completed ones for keepCompletedSeconds, failed ones until replayed), which
    // is what the claim and its completion would check, for two or three Redis round trips a job.
    // See docs/DECISIONS.md for the one case this leaves (a stalled job recovered mid-run).
    const outcome = await runHandlers(
      event,
      this.deps,
      { mode: 'queue', attempt, parent },
      attempt >= attempts,
    );
    switch (outcome.kind) {
      case 'handled':
        return;
      case 'failed': {
        logHandlerErrors(
          this.logger,
          outcome.errors,
          jobFailedLogMessage(event.id, event.type, attempt, attempts, event),
        );
        if (attempt < attempts) {
          this.deps.telemetry.retried(event.type, event.endpoint);
        } else {
          this.deps.telemetry.deadLettered(event.type, 'failed', event.endpoint);
          await this.deps.publisher.publishFailure({
            event,
            errors: outcome.errors,
            mode: 'queue',
          });
        }
        throw new AggregateError(
          outcome.errors,
          outcome.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '),
        );
      }
      default: {
        const unreachable: never = outcome;
        return unreachable;
      }
    }
  }
}

/** The part of BullMQ 5's Worker that its close() reaches only after waiting for running jobs. */
interface WorkerInternals {
  readonly lockManager?: { close?: () => Promise<void> };
}

/**
 * Stops a worker whose close() hangs. BullMQ's close runs its steps in order, and the first one
 * (wait for the jobs in hand: their results must reach Redis) never ends once Redis is gone
 * (bullmq#2430); the later steps, which stop its timers and connections, then never run, and the
 * process stays alive. So they are done here: `pause(true)` stops the stalled-job checker,
 * `disconnect()` drops the main connection (the blocking one was dropped by close's first step),
 * and the lock manager, which renews locks on a timer, is closed through the field BullMQ 5 keeps
 * it in. Should a later BullMQ rename that field, only that timer outlives shutdown: an app that
 * uses `enableShutdownHooks()` exits anyway (Nest re-raises the signal), one that calls
 * `app.close()` itself would wait for the timer.
 */
async function cutWorker(worker: Worker<VisiwiseJobData>): Promise<void> {
  await Promise.all([
    settleWithin(worker.pause(true), CUT_WAIT_MS),
    settleWithin(
      (worker as unknown as WorkerInternals).lockManager?.close?.() ?? Promise.resolve(),
      CUT_WAIT_MS,
    ),
    settleWithin(worker.disconnect(), CUT_WAIT_MS),
  ]);
}
