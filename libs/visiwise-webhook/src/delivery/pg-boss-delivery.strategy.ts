import type { Logger } from '@nestjs/common';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { EnvelopeParseResult } from '../events/visiwise-event.parser';
import type { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import type { ResolvedDeliveryConfig } from './delivery-config';
import {
  jobFailedLogMessage,
  pgBossJobExpiredLogMessage,
  pgBossJobExpiredReason,
  pgBossJobNotRecordedLogMessage,
  pgBossShutdownTimeoutLogMessage,
  pgBossStoreFailedLogMessage,
  pgBossStoringAgainLogMessage,
  queueUnavailableMessage,
  shuttingDownMessage,
  unhandledJobLogMessage,
  unhandledJobReason,
  unparseableKeptLogMessage,
} from './delivery.messages';
import { logHandlerErrors } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import { toEvent, type EventSource } from './event-reader';
import { HandleDependencies, runHandlers } from './handle-once';
import { InFlight } from './in-flight';
import type { PgBossJob, PgBossQueue } from './pg-boss-queue';
import { fromQueuedEvent, toQueuedEvent } from './queued-event';
import { settleWithin } from './shutdown-deadline';
import {
  UnparseableVisiwiseDelivery,
  isUnparseableDelivery,
  unparseableBody,
} from './unparseable-delivery';

/** What the pg-boss strategy is built from (the PgBoss instance and pool belong to the runtime). */
export interface PgBossStrategyDependencies extends HandleDependencies {
  readonly publisher: VisiwiseEventPublisher;
  /** This endpoint's queue. */
  readonly queue: PgBossQueue;
  /** Reads the envelope of a kept delivery's raw body, as the receiver does (with `readEnvelope`). */
  readonly readEnvelope: (source: EventSource) => EnvelopeParseResult;
  readonly config: ResolvedDeliveryConfig['queue'];
  /** The name of the endpoint whose queue this is. */
  readonly endpoint: string;
}

/** How a job's run ends in pg-boss. */
type Settlement =
  | { readonly kind: 'complete' }
  /** A failed attempt: pg-boss retries it after its backoff while attempts remain. */
  | { readonly kind: 'fail'; readonly reason: string }
  /** Failed with no retry: a type no handler takes, or a body that still is no event. */
  | { readonly kind: 'dead'; readonly reason: string };

/**
 * `delivery: 'queue'` on PostgreSQL: the verified event is stored as a pg-boss job before the 200,
 * under an id derived from the delivery id, so Svix's retries collapse into it; if it cannot be
 * stored within `queue.enqueueTimeoutMs`, the delivery is answered 503 and Visiwise retries. Workers
 * run the handlers with retries and exponential backoff; a job that exhausts its attempts stays
 * failed (the dead letters) until replayed. A worker that dies mid-job leaves it active until its
 * expiry (`queue.lockDurationMs`), when pg-boss's maintenance fails it and another worker retries it.
 *
 * The worker is a polling loop of pg-boss's own `fetch`, `complete` and `fail`, not pg-boss 10's
 * `work()`, which does not await `complete`/`fail`: a database lost while a job runs rejects them
 * unhandled and takes the process down (timgit/pg-boss#577, fixed only in pg-boss 11, which needs
 * Node 22). The loop also gives `queue.concurrency` jobs at once and a shutdown bounded by
 * `shutdownTimeoutMs` whatever the database does.
 */
export class PgBossDeliveryStrategy implements DeliveryStrategy {
  /** Jobs taken and not yet recorded (their handlers running, or their outcome being written). */
  private readonly running = new InFlight();
  private loop: Promise<void> | undefined;
  private looping = false;
  private closing = false;
  /** Ends the loop's current pause early (a job sent here, a slot freed, shutdown). */
  private wake: (() => void) | undefined;
  /** Whether the last fetch filled every free slot: more jobs may be waiting for one. */
  private saturated = false;
  /** Deliveries refused since the last one stored (the first is logged, the rest counted). */
  private refused = 0;
  /** Outcomes not recorded since the last one recorded (the first is logged). */
  private unrecorded = 0;
  private readonly reported = new Set<string>();

  constructor(
    private readonly deps: PgBossStrategyDependencies,
    private readonly logger: Logger,
  ) {
    deps.queue.onSent(() => {
      this.wake?.();
    });
  }

  async deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus> {
    const { queue, telemetry } = this.deps;
    const queued = toQueuedEvent(event, telemetry.carrier(trace));
    // A job of this id existing already is Svix's retry of a stored delivery: answered like the
    // first copy, as the BullMQ engine does (the job is the deduplication).
    await this.store(event.id, () => queue.send(queued, queue.jobIdFor(event.id, event.tenant)));
    return 'received';
  }

  /**
   * Kept as a job of its own id, failed at once (the queue mode's dead letters). Replaying it runs
   * it again: the worker reads its body anew, with whatever `readEnvelope` it has then, and if it is
   * an event now, queues it as one (the delivery's usual job, with its attempts and backoff).
   */
  async keepUnparseable(delivery: UnparseableVisiwiseDelivery): Promise<VisiwiseAckStatus> {
    const { queue, telemetry } = this.deps;
    const id = queue.unparseableJobIdFor(delivery.id, delivery.tenant);
    const created = await this.store(delivery.id, () =>
      queue.keepFailed(delivery, id, delivery.message),
    );
    if (created) {
      telemetry.deadLettered(undefined, 'unparseable', this.deps.endpoint);
    }
    this.reportOnce(`unparseable:${delivery.reason}`, () => {
      this.logger.warn(unparseableKeptLogMessage(delivery.id, delivery.reason));
    });
    return 'unparseable';
  }

  /** Stores within `enqueueTimeoutMs`, or throws the 503 that makes Visiwise retry. */
  private async store<T>(deliveryId: string, write: () => Promise<T>): Promise<T> {
    if (this.closing) {
      throw new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
    }
    const { enqueueTimeoutMs } = this.deps.config;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        write(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`not stored within ${enqueueTimeoutMs} ms`));
          }, enqueueTimeoutMs);
        }),
      ]);
      if (this.refused > 0) {
        this.logger.log(pgBossStoringAgainLogMessage(this.refused));
        this.refused = 0;
      }
      return result;
    } catch (error) {
      // One line per outage, not one per delivery: the metrics count every 503.
      if (this.refused++ === 0) {
        this.logger.error(pgBossStoreFailedLogMessage(deliveryId, reasonOf(error)));
      }
      throw new VisiwiseWebhookException('queue_unavailable', queueUnavailableMessage());
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether this process's worker runs; undefined when it runs none (`queue.worker: false`). */
  workerRunning(): boolean | undefined {
    return this.deps.config.runWorker ? this.looping : undefined;
  }

  start(): void {
    if (!this.deps.config.runWorker || this.loop !== undefined || this.closing) {
      return;
    }
    this.looping = true;
    this.loop = this.poll().finally(() => {
      this.looping = false;
    });
  }

  /**
   * Stops taking jobs and waits, until `timeoutMs` at most, for those taken: their handlers, then
   * the writing of their outcome. A job still running at the deadline stays active in PostgreSQL
   * until its expiry, when pg-boss's maintenance hands it to another worker (see {@link close}).
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.stopLoop();
    // A fetch under way may still bring jobs: they are run (and waited for) like the others.
    await settleWithin(this.loop ?? Promise.resolve(), timeoutMs);
    const left = await this.running.waitIdle(Math.max(0, deadline - Date.now()));
    if (left > 0) {
      this.logger.error(pgBossShutdownTimeoutLogMessage(timeoutMs));
    }
  }

  /**
   * Nothing of its own to release: the PgBoss instance and the pool are the runtime's, which stops
   * and ends them after every endpoint closed. Jobs still running are left to their expiry.
   */
  close(): Promise<void> {
    this.stopLoop();
    return Promise.resolve();
  }

  private stopLoop(): void {
    this.closing = true;
    this.wake?.();
  }

  /**
   * Takes as many jobs as there are free slots, runs them, and polls again: at once while jobs keep
   * coming (a full batch), when a slot frees up after that, when this process sends a job, or after
   * `queue.pollingIntervalMs`.
   */
  private async poll(): Promise<void> {
    const { concurrency, pollingIntervalMs } = this.deps.config;
    while (!this.closing) {
      const free = concurrency - this.running.size;
      if (free > 0) {
        const jobs = await this.deps.queue.fetch(free).catch(() => []);
        this.saturated = jobs.length === free;
        for (const job of jobs) {
          void this.run(job);
        }
        if (this.saturated) {
          continue;
        }
      }
      await this.pause(pollingIntervalMs);
    }
  }

  /** Waits `ms`, or less if woken. The timer keeps the process alive, as a worker should. */
  private async pause(ms: number): Promise<void> {
    if (this.closing) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      this.wake = resolve;
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  /** Runs one job and records its outcome; never rejects. */
  private async run(job: PgBossJob): Promise<void> {
    this.running.enter();
    try {
      const settlement = await this.withinExpiry(job, (expired) => this.handle(job, expired));
      await this.settle(job, settlement);
    } finally {
      this.running.leave();
      if (this.saturated) {
        this.wake?.();
      }
    }
  }

  /**
   * The job's outcome, or a failure once its expiry passed (as pg-boss's own worker does): its
   * handlers may go on, but the job is retried, and whatever they end with is no longer recorded.
   */
  private async withinExpiry(
    job: PgBossJob,
    handle: (expired: () => boolean) => Promise<Settlement>,
  ): Promise<Settlement> {
    // The job's own expiry, set when it was sent (pg-boss 10 reads it as a numeric string,
    // whatever its types say).
    const seconds = numberOf(job.expireInSeconds) || this.deps.queue.expireInSeconds;
    const state = { expired: false };
    let timer: NodeJS.Timeout | undefined;
    const handled = handle(() => state.expired).catch((error: unknown): Settlement => ({
      kind: 'fail',
      reason: reasonOf(error),
    }));
    const expiry = new Promise<Settlement>((resolve) => {
      timer = setTimeout(() => {
        state.expired = true;
        resolve({ kind: 'fail', reason: pgBossJobExpiredReason(seconds) });
      }, seconds * 1000);
      // Not what keeps a worker alive (its poll does): after shutdown, a handler that hangs must
      // not hold the process until its job's expiry.
      timer.unref();
    });
    try {
      const settlement = await Promise.race([handled, expiry]);
      if (state.expired) {
        this.reportExpired(job, seconds);
      }
      return settlement;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reports an expired job as its failed attempt (retried, or dead at its last attempt). */
  private reportExpired(job: PgBossJob, seconds: number): void {
    const data = job.data;
    if (isUnparseableDelivery(data)) {
      return;
    }
    const { telemetry } = this.deps;
    this.logger.error(pgBossJobExpiredLogMessage(data.id, data.type, seconds));
    if (job.retryCount < job.retryLimit) {
      telemetry.retried(data.type, this.endpointOf(data.endpoint));
    } else {
      telemetry.deadLettered(data.type, 'failed', this.endpointOf(data.endpoint));
    }
  }

  /** Records the outcome within `enqueueTimeoutMs`; on failure the job waits for its expiry. */
  private async settle(job: PgBossJob, settlement: Settlement): Promise<void> {
    const { queue, config } = this.deps;
    const write =
      settlement.kind === 'complete'
        ? queue.complete(job.id)
        : settlement.kind === 'fail'
          ? queue.fail(job.id, settlement.reason)
          : queue.failForGood(job.id, settlement.reason);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        write,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`not recorded within ${config.enqueueTimeoutMs} ms`));
          }, config.enqueueTimeoutMs);
        }),
      ]);
      this.unrecorded = 0;
    } catch (error) {
      if (this.unrecorded++ === 0) {
        this.logger.error(pgBossJobNotRecordedLogMessage(job.data.id, reasonOf(error)));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private async handle(job: PgBossJob, expired: () => boolean): Promise<Settlement> {
    const data = job.data;
    if (isUnparseableDelivery(data)) {
      const event = this.readKept(data);
      if (event === undefined) {
        return { kind: 'dead', reason: data.message };
      }
      // Readable now (a replay after a fix): queued as the event it is, to be handled with the
      // usual attempts; if that job exists already, the event was queued (and handled) before.
      const { queue } = this.deps;
      await queue.send(toQueuedEvent(event, undefined), queue.jobIdFor(event.id, event.tenant));
      return { kind: 'complete' };
    }
    const event = fromQueuedEvent(data);
    const { publisher, telemetry, config } = this.deps;
    if (publisher.handlerCount(event.type, event.endpoint) === 0) {
      // Completed unhandled (or dead-lettered): a replay after a handler is deployed handles it.
      const deadLetter = config.unhandledJobs === 'dead-letter';
      telemetry.noHandler(event.type, 'worker', event.endpoint);
      this.reportOnce(`unhandled:${event.type}`, () => {
        this.logger.warn(unhandledJobLogMessage(event.type, deadLetter));
      });
      if (deadLetter) {
        telemetry.deadLettered(event.type, 'no_handler', event.endpoint);
        return { kind: 'dead', reason: unhandledJobReason(event.type) };
      }
      return { kind: 'complete' };
    }
    // pg-boss counts a job's runs after the first in retry_count, its retries in retry_limit.
    const attempt = job.retryCount + 1;
    const attempts = job.retryLimit + 1;
    // No idempotency claim: the job id is derived from the delivery id, so pg-boss keeps one job
    // per delivery while it exists (completed ones for keepCompletedSeconds, failed ones until
    // replayed), as the BullMQ engine does.
    const outcome = await runHandlers(
      event,
      this.deps,
      { mode: 'queue', attempt, parent: data.trace },
      attempt >= attempts,
    );
    if (expired()) {
      // Already failed and reported at the expiry; this late outcome is not recorded.
      return { kind: 'fail', reason: pgBossJobExpiredReason(this.deps.queue.expireInSeconds) };
    }
    switch (outcome.kind) {
      case 'handled':
        return { kind: 'complete' };
      case 'failed': {
        logHandlerErrors(
          this.logger,
          outcome.errors,
          jobFailedLogMessage(event.id, event.type, attempt, attempts),
        );
        if (attempt < attempts) {
          telemetry.retried(event.type, event.endpoint);
        } else {
          telemetry.deadLettered(event.type, 'failed', event.endpoint);
          await publisher.publishFailure({ event, errors: outcome.errors, mode: 'queue' });
        }
        return {
          kind: 'fail',
          reason: outcome.errors
            .map((e) => (e instanceof Error ? e.message : String(e)))
            .join('; '),
        };
      }
      default: {
        const unreachable: never = outcome;
        return unreachable;
      }
    }
  }

  /** The event a kept delivery's body is now, or undefined if it still is none. */
  private readKept(data: UnparseableVisiwiseDelivery): AnyVisiwiseEvent | undefined {
    const parsed = this.deps.readEnvelope({
      rawBody: unparseableBody(data),
      parsedBody: undefined,
    });
    if (!parsed.ok) {
      return undefined;
    }
    const signedAt = new Date(Number(data.headers['svix-timestamp']) * 1000);
    return toEvent(
      parsed.envelope,
      { id: data.id, timestamp: signedAt },
      new Date(data.receivedAt),
      { endpoint: this.endpointOf(data.endpoint), tenant: data.tenant },
    );
  }

  private endpointOf(endpoint: string | undefined): string {
    return endpoint ?? this.deps.endpoint;
  }

  private reportOnce(key: string, report: () => void): void {
    if (!this.reported.has(key) && this.reported.size < 1000) {
      this.reported.add(key);
      report();
    }
  }
}

function numberOf(value: unknown): number {
  return Number(value);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
