import { Injectable } from '@nestjs/common';
import type {
  FailedEventsPage,
  FailedVisiwiseEvent,
  VisiwiseDeadLetterFilter,
  VisiwiseDeadLetterLocation,
} from './visiwise-dead-letters';
import { VisiwiseDeliveryRuntime } from './visiwise-delivery.runtime';

/**
 * The dead letters, injectable in your services (an admin controller, a scheduled job, a health
 * check): list them and replay them once the cause is fixed. In every mode they hold the verified
 * deliveries whose body could not be read as an event (cause `unparseable`): replaying one reads its
 * body anew (with the `readEnvelope` option in force then) and delivers it if it is an event now.
 * In queue mode they are the queue's failed jobs (BullMQ's failed set, or pg-boss's failed jobs)
 * and also hold the events whose jobs exhausted their attempts (`failed`) and, with
 * `queue.unhandledJobs: 'dead-letter'`, jobs no handler took (`no_handler`). The inline and background modes keep theirs in memory (this process, bounded)
 * or in Redis (`deadLetters.store`).
 */
@Injectable()
export class VisiwiseDeadLetterService {
  /** @internal Created by Nest's injector. */
  constructor(private readonly runtime: VisiwiseDeliveryRuntime) {}

  /**
   * Dead letters, most recent first: of every endpoint, or of `page.endpoint` (each entry names
   * its `endpoint` and `tenant`).
   */
  list(page?: FailedEventsPage): Promise<FailedVisiwiseEvent[]> {
    return this.runtime.getDeadLetters().list(page);
  }

  /** How many dead letters there are (of every endpoint, or of `filter.endpoint`). */
  count(filter?: VisiwiseDeadLetterFilter): Promise<number> {
    return this.runtime.getDeadLetters().count(filter);
  }

  /**
   * Replays one dead letter by delivery id (svix-id), on the endpoint (and tenant) given, or on
   * every endpoint that holds an entry for it; false if there is no such entry, or (in the inline
   * and background modes) its body is still not an event. In inline mode a handler failure
   * rejects, and the entry stays. An unknown endpoint name throws.
   */
  replay(deliveryId: string, location?: VisiwiseDeadLetterLocation): Promise<boolean> {
    return this.runtime.getDeadLetters().replay(deliveryId, location);
  }

  /** Replays every dead letter (of every endpoint, or of `filter.endpoint`); resolves how many. */
  replayAll(filter?: VisiwiseDeadLetterFilter): Promise<number> {
    return this.runtime.getDeadLetters().replayAll(filter);
  }
}
