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
  deliveryInProgressMessage,
  enqueueFailedLogMessage,
  jobFailedLogMessage,
  queueUnavailableMessage,
  shuttingDownMessage,
  unhandledJobLogMessage,
  unhandledJobReason,
  unparseableKeptLogMessage,
  workerErrorLogMessage,
  workerRestartLogMessage,
  workerShutdownTimeoutLogMessage,
} from './delivery.messages';
import { logHandlerErrors, logStoreError } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import { HandleDependencies, IdempotencyStoreError, handleOnce } from './handle-once';
import { toEvent, type EventSource } from './event-reader';
import { VisiwiseJobData, fromQueuedEvent, jobIdFor, toQueuedEvent } from './queued-event';
import {
  UnparseableVisiwiseDelivery,
  isUnparseableDelivery,
  unparseableBody,
} from './unparseable-delivery';

type WorkerConnection = NonNullable<ConstructorParameters<BullMq['Worker']>[2]>['connection'];

/** How often the worker's health is checked (a BullMQ worker whose loop died is replaced). */
const WORKER_WATCHDOG_MS = 2000;

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
  /** Whether Redis answers right now (a connection of the runtime's own that reconnects reliably). */
  readonly redisIsUp: () => boolean;
  readonly config: ResolvedDeliveryConfig['queue'];
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
    await this.persist(QUEUE_JOB_NAME, queued, event.id);
    return 'received';
  }

  /**
   * Kept as a job that fails at once into the failed set (the queue mode's dead letters): replaying
   * it runs it again, and the worker reads its body anew, with whatever `readEnvelope` it has then.
   */
  async keepUnparseable(delivery: UnparseableVisiwiseDelivery): Promise<VisiwiseAckStatus> {
    await this.persist(UNPARSEABLE_JOB_NAME, delivery, delivery.id, { attempts: 1 });
    this.deps.telemetry.deadLettered(undefined, 'unparseable');
    this.reportOnce(`unparseable:${delivery.reason}`, () => {
      this.logger.warn(unparseableKeptLogMessage(delivery.id, delivery.reason));
    });
    return 'unparseable';
  }

  /** Adds a job within `enqueueTimeoutMs`, or throws the 503 that makes Visiwise retry. */
  private async persist(
    name: string,
    data: VisiwiseJobData,
    deliveryId: string,
    options: { readonly attempts?: number } = {},
  ): Promise<void> {
    if (this.closing) {
      throw new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
    }
    const { queue, config } = this.deps;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.add(name, data, { jobId: jobIdFor(deliveryId), ...options }),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`not stored within ${config.enqueueTimeoutMs} ms`));
          }, config.enqueueTimeoutMs);
        }),
      ]);
    } catch (error) {
      this.logger.error(
        `${enqueueFailedLogMessage(deliveryId)} ${error instanceof Error ? error.message : String(error)}`,
      );
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

  async drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    if (!worker) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      worker.close().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(true);
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // Hand the jobs back: their locks expire and another worker's stalled check picks them up.
      this.logger.error(workerShutdownTimeoutLogMessage(timeoutMs));
      await worker.close(true);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    await this.worker?.close(true);
    await this.deps.queue.close();
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
    // Connection errors: ioredis reconnects on its own; log them, never crash the process.
    worker.on('error', (error) => {
      this.logger.error(`${workerErrorLogMessage()} ${error.message}`);
    });
    this.worker = worker;
  }

  private replaceStoppedWorker(): void {
    const worker = this.worker;
    if (this.closing || !worker || worker.isRunning() || !this.deps.redisIsUp()) {
      return;
    }
    this.logger.warn(workerRestartLogMessage());
    // Not awaited: closing a worker whose connection broke can hang (bullmq#2430).
    void worker.close(true).catch(() => undefined);
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
    );
  }

  private reportOnce(key: string, report: () => void): void {
    if (!this.reported.has(key) && this.reported.size < 1000) {
      this.reported.add(key);
      report();
    }
  }

  private async process(job: Job<VisiwiseJobData>): Promise<void> {
    const event = this.eventOf(job);
    if (this.deps.publisher.handlerCount(event.type) === 0) {
      // Not claimed: a replay after a handler is deployed handles it.
      const deadLetter = this.deps.config.unhandledJobs === 'dead-letter';
      this.deps.telemetry.noHandler(event.type, 'worker');
      this.reportOnce(`unhandled:${event.type}`, () => {
        this.logger.warn(unhandledJobLogMessage(event.type, deadLetter));
      });
      if (deadLetter) {
        this.deps.telemetry.deadLettered(event.type, 'no_handler');
        throw new this.deps.bullmq.UnrecoverableError(unhandledJobReason(event.type));
      }
      return;
    }
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    let outcome;
    try {
      const parent = isUnparseableDelivery(job.data) ? undefined : job.data.trace;
      outcome = await handleOnce(event, this.deps, { mode: 'queue', attempt, parent });
    } catch (error) {
      if (error instanceof IdempotencyStoreError) {
        logStoreError(this.logger, event.id, error);
      }
      throw error;
    }
    switch (outcome.kind) {
      case 'handled':
      case 'duplicate':
        return;
      case 'in_progress':
        // Another worker holds the claim (e.g. this job stalled and was recovered while the first
        // run goes on); retrying later either finds it completed or the claim expired.
        throw new Error(deliveryInProgressMessage());
      case 'failed': {
        logHandlerErrors(
          this.logger,
          outcome.errors,
          jobFailedLogMessage(event.id, event.type, attempt, attempts),
        );
        if (attempt < attempts) {
          this.deps.telemetry.retried(event.type);
        } else {
          this.deps.telemetry.deadLettered(event.type, 'failed');
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
