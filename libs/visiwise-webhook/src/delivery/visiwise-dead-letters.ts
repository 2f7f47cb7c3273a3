import type { Job, Queue } from 'bullmq';
import { QueuedVisiwiseEvent, jobIdFor } from './queued-event';

/** An event whose queued job exhausted its attempts (the dead-letter set). */
export interface FailedVisiwiseEvent {
  /** The delivery id (svix-id). */
  readonly id: string;
  readonly type: string;
  /** The last error, as BullMQ stored it. */
  readonly failedReason: string;
  readonly attemptsMade: number;
  readonly failedAt: Date | undefined;
  readonly receivedAt: Date;
  readonly data: Record<string, unknown>;
}

/** Paging of {@link VisiwiseDeadLetters.list}. */
export interface FailedEventsPage {
  /** @default 0 */
  offset?: number;
  /** @default 100 */
  limit?: number;
}

function toFailedEvent(job: Job<QueuedVisiwiseEvent>): FailedVisiwiseEvent {
  return {
    id: job.data.id,
    type: job.data.type,
    failedReason: job.failedReason,
    attemptsMade: job.attemptsMade,
    failedAt: job.finishedOn === undefined ? undefined : new Date(job.finishedOn),
    receivedAt: new Date(job.data.receivedAt),
    data: job.data.data,
  };
}

/**
 * The failed (dead-letter) set of the queue mode: lists events whose jobs exhausted their
 * attempts, and replays them (the job goes back to the queue with a fresh attempt budget). Works on
 * any BullMQ `Queue` of this package, inside Nest (VisiwiseDeadLetterService) or outside (CLI).
 */
export class VisiwiseDeadLetters {
  constructor(private readonly queue: Queue<QueuedVisiwiseEvent>) {}

  /** Failed events, most recent first. */
  async list(page: FailedEventsPage = {}): Promise<FailedVisiwiseEvent[]> {
    const offset = Math.max(0, Math.floor(page.offset ?? 0));
    const limit = Math.max(1, Math.floor(page.limit ?? 100));
    const jobs = await this.queue.getFailed(offset, offset + limit - 1);
    return jobs.filter((job): job is Job<QueuedVisiwiseEvent> => Boolean(job)).map(toFailedEvent);
  }

  /** How many events are in the failed set. */
  count(): Promise<number> {
    return this.queue.getFailedCount();
  }

  /** Replays one failed event by delivery id. Resolves false if it is not in the failed set. */
  async replay(deliveryId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobIdFor(deliveryId));
    if (!job || !(await job.isFailed())) {
      return false;
    }
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  /**
   * Replays every event in the failed set at the time of the call (a snapshot: an event that fails
   * again meanwhile is not replayed twice); resolves how many were sent back to the queue.
   */
  async replayAll(): Promise<number> {
    const snapshot: Job<QueuedVisiwiseEvent>[] = [];
    const pageSize = 500;
    for (let offset = 0; ; offset += pageSize) {
      const jobs = await this.queue.getFailed(offset, offset + pageSize - 1);
      snapshot.push(...jobs.filter((job): job is Job<QueuedVisiwiseEvent> => Boolean(job)));
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
