import type { Job, Queue } from 'bullmq';
import { DEFAULT_ENDPOINT_NAME } from '../endpoints/endpoint-config';
import { unhandledJobReason } from './delivery.messages';
import { VisiwiseJobData, jobIdFor, unparseableJobIdFor } from './queued-event';
import { UnparseableVisiwiseDelivery, isUnparseableDelivery } from './unparseable-delivery';

/**
 * Why an event is in the dead letters: its handlers kept failing (`failed`), its verified body
 * could not be read as an event (`unparseable`), or no handler of the worker takes its type
 * (`no_handler`, with `queue.unhandledJobs: 'dead-letter'`).
 */
export type VisiwiseDeadLetterCause = 'failed' | 'unparseable' | 'no_handler';

/** An entry of the dead letters. */
export interface FailedVisiwiseEvent {
  /** The delivery id (svix-id). */
  readonly id: string;
  /** The endpoint that received it. */
  readonly endpoint: string;
  /** The tenant of a tenant endpoint's route. */
  readonly tenant: string | undefined;
  /** The event type; undefined for a body that could not be read as an event. */
  readonly type: string | undefined;
  readonly cause: VisiwiseDeadLetterCause;
  /** The last error, or why the body is not an event. */
  readonly failedReason: string;
  readonly attemptsMade: number;
  readonly failedAt: Date | undefined;
  readonly receivedAt: Date;
  /** The event's payload; empty for an unparseable delivery (see `delivery`). */
  readonly data: Record<string, unknown>;
  /** For an unparseable delivery: its raw body (base64), signed headers and reason, as received. */
  readonly delivery?: UnparseableVisiwiseDelivery;
}

/** Which endpoint's dead letters (all of them when not given). */
export interface VisiwiseDeadLetterFilter {
  readonly endpoint?: string;
}

/** Which dead letter to replay, when a delivery id alone does not say it. */
export interface VisiwiseDeadLetterLocation extends VisiwiseDeadLetterFilter {
  /** The tenant, on a tenant endpoint. */
  readonly tenant?: string;
}

/** Paging of {@link VisiwiseDeadLetterSet.list}. */
export interface FailedEventsPage extends VisiwiseDeadLetterFilter {
  /** @default 0 */
  offset?: number;
  /** @default 100 */
  limit?: number;
}

/** What every kind of dead letters offers (the BullMQ failed set, the in-process store). */
export interface VisiwiseDeadLetterSet {
  /** Entries, most recent first. */
  list(page?: FailedEventsPage): Promise<FailedVisiwiseEvent[]>;
  /** How many entries there are. */
  count(): Promise<number>;
  /** Replays one entry by delivery id (and tenant); resolves false if there is no such entry. */
  replay(deliveryId: string, tenant?: string): Promise<boolean>;
  /** Replays every entry there is at the time of the call; resolves how many were replayed. */
  replayAll(): Promise<number>;
}

/** Offset and limit of a page, with the defaults applied. */
export function pageBounds(page: FailedEventsPage): { offset: number; limit: number } {
  return {
    offset: Math.max(0, Math.floor(page.offset ?? 0)),
    limit: Math.max(1, Math.floor(page.limit ?? 100)),
  };
}

/** An unparseable delivery as a dead-letter entry. */
export function unparseableEntry(
  delivery: UnparseableVisiwiseDelivery,
  endpoint: string,
  failure: { attemptsMade: number; failedAt: Date | undefined } = {
    attemptsMade: 0,
    failedAt: new Date(delivery.receivedAt),
  },
): FailedVisiwiseEvent {
  return {
    id: delivery.id,
    endpoint,
    tenant: delivery.tenant,
    type: undefined,
    cause: 'unparseable',
    failedReason: delivery.message,
    attemptsMade: failure.attemptsMade,
    failedAt: failure.failedAt,
    receivedAt: new Date(delivery.receivedAt),
    data: {},
    delivery,
  };
}

/** The fields of a failed job an entry is made of. */
type DeadJob = Pick<Job<VisiwiseJobData>, 'data' | 'failedReason' | 'attemptsMade' | 'finishedOn'>;

const isJob = (job: Job<VisiwiseJobData> | undefined): job is Job<VisiwiseJobData> =>
  job !== undefined;

function toFailedEvent(job: DeadJob, endpoint: string): FailedVisiwiseEvent {
  const failedAt = job.finishedOn === undefined ? undefined : new Date(job.finishedOn);
  const data = job.data;
  if (isUnparseableDelivery(data)) {
    return unparseableEntry(data, endpoint, { attemptsMade: job.attemptsMade, failedAt });
  }
  return {
    id: data.id,
    endpoint,
    tenant: data.tenant,
    type: data.type,
    cause: job.failedReason === unhandledJobReason(data.type) ? 'no_handler' : 'failed',
    failedReason: job.failedReason,
    attemptsMade: job.attemptsMade,
    failedAt,
    receivedAt: new Date(data.receivedAt),
    data: data.data,
  };
}

/**
 * The failed (dead-letter) set of the queue mode: lists the events whose jobs exhausted their
 * attempts, deliveries kept as unparseable and, if so configured, jobs no handler took; replays
 * them (the job goes back to the queue with a fresh attempt budget, and an unparseable body is read
 * anew). Works on any BullMQ `Queue` of this package, inside Nest (VisiwiseDeadLetterService) or
 * outside (CLI).
 */
export class VisiwiseDeadLetters implements VisiwiseDeadLetterSet {
  /** @param endpoint the name of the endpoint whose queue this is (the entries' `endpoint`). */
  constructor(
    private readonly queue: Queue<VisiwiseJobData>,
    private readonly endpoint: string = DEFAULT_ENDPOINT_NAME,
  ) {}

  /** Failed events, most recent first. */
  async list(page: FailedEventsPage = {}): Promise<FailedVisiwiseEvent[]> {
    const { offset, limit } = pageBounds(page);
    const jobs = await this.queue.getFailed(offset, offset + limit - 1);
    // getFailed() leaves holes for jobs removed meanwhile, whatever its type says.
    return jobs.filter(isJob).map((job) => toFailedEvent(job, this.endpoint));
  }

  /** How many events are in the failed set. */
  count(): Promise<number> {
    return this.queue.getFailedCount();
  }

  /** Replays one failed event by delivery id. Resolves false if it is not in the failed set. */
  async replay(deliveryId: string, tenant?: string): Promise<boolean> {
    for (const jobId of [jobIdFor(deliveryId, tenant), unparseableJobIdFor(deliveryId, tenant)]) {
      const job = await this.queue.getJob(jobId);
      if (job && (await job.isFailed())) {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      }
    }
    return false;
  }

  /**
   * Replays every event in the failed set at the time of the call (a snapshot: an event that fails
   * again meanwhile is not replayed twice); resolves how many were sent back to the queue.
   */
  async replayAll(): Promise<number> {
    const snapshot: Job<VisiwiseJobData>[] = [];
    const pageSize = 500;
    for (let offset = 0; ; offset += pageSize) {
      const jobs = await this.queue.getFailed(offset, offset + pageSize - 1);
      snapshot.push(...jobs.filter(isJob));
      if (jobs.length < pageSize) {
        break;
      }
    }
    let replayed = 0;
    for (const job of snapshot) {
      if (await job.isFailed()) {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        replayed++;
      }
    }
    return replayed;
  }
}
