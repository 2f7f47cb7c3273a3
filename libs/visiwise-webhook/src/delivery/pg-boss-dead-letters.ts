import { unhandledJobReason } from './delivery.messages';
import type { FailedPgBossJob, PgBossQueue } from './pg-boss-queue';
import { isUnparseableDelivery } from './unparseable-delivery';
import {
  FailedEventsPage,
  FailedVisiwiseEvent,
  VisiwiseDeadLetterSet,
  pageBounds,
  unparseableEntry,
} from './visiwise-dead-letters';

/**
 * The message a job failed with: `{ message }` as this package fails jobs, `{ value: { message } }`
 * as pg-boss's maintenance fails an expired one, or a serialized error.
 */
function failureMessage(output: unknown): string {
  if (typeof output !== 'object' || output === null) {
    return output === undefined || output === null ? '' : JSON.stringify(output);
  }
  const { message, value } = output as { message?: unknown; value?: unknown };
  if (typeof message === 'string') {
    return message;
  }
  return value === undefined ? JSON.stringify(output) : failureMessage(value);
}

function toFailedEvent(job: FailedPgBossJob, endpoint: string): FailedVisiwiseEvent {
  const failedAt = job.completedOn ?? undefined;
  // A job that never ran (an unparseable delivery, failed as it was kept) made no attempt.
  const attemptsMade = job.startedOn === null ? 0 : job.retryCount + 1;
  const data = job.data;
  if (isUnparseableDelivery(data)) {
    return unparseableEntry(data, endpoint, { attemptsMade, failedAt });
  }
  const failedReason = failureMessage(job.output);
  return {
    id: data.id,
    endpoint,
    tenant: data.tenant,
    type: data.type,
    cause: failedReason === unhandledJobReason(data.type) ? 'no_handler' : 'failed',
    failedReason,
    attemptsMade,
    failedAt,
    receivedAt: new Date(data.receivedAt),
    data: data.data,
  };
}

/**
 * The dead letters of an endpoint whose queue is pg-boss: its failed jobs (events whose attempts
 * ran out, deliveries kept as unparseable, and with `queue.unhandledJobs: 'dead-letter'` jobs no
 * handler took). A replay sends the job back with a fresh retry budget; an unparseable body is
 * read anew by the worker that takes it.
 */
export class PgBossDeadLetters implements VisiwiseDeadLetterSet {
  /** @param endpoint the name of the endpoint whose queue this is (the entries' `endpoint`). */
  constructor(
    private readonly queue: PgBossQueue,
    private readonly endpoint: string,
  ) {}

  /** Failed events, most recently failed first. */
  async list(page: FailedEventsPage = {}): Promise<FailedVisiwiseEvent[]> {
    const { offset, limit } = pageBounds(page);
    const jobs = await this.queue.failedJobs(offset, limit);
    return jobs.map((job) => toFailedEvent(job, this.endpoint));
  }

  /** How many jobs are failed. */
  count(): Promise<number> {
    return this.queue.failedCount();
  }

  /** Replays a delivery's failed job (its event's, or its unparseable one's); false if none. */
  async replay(deliveryId: string, tenant?: string): Promise<boolean> {
    for (const id of [
      this.queue.jobIdFor(deliveryId, tenant),
      this.queue.unparseableJobIdFor(deliveryId, tenant),
    ]) {
      if (await this.queue.replay(id)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Replays every job failed at the time of the call (a snapshot of their ids: one that fails again
   * meanwhile is not replayed twice); resolves how many went back to the queue.
   */
  async replayAll(): Promise<number> {
    let replayed = 0;
    for (const id of await this.queue.failedJobIds()) {
      if (await this.queue.replay(id)) {
        replayed++;
      }
    }
    return replayed;
  }
}
