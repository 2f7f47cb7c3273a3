import { Injectable } from '@nestjs/common';
import type { FailedEventsPage, FailedVisiwiseEvent } from './visiwise-dead-letters';
import { VisiwiseDeliveryRuntime } from './visiwise-delivery.runtime';

/**
 * The dead-letter set of `delivery: 'queue'`, injectable in your services (an admin controller, a
 * scheduled job, a health check): list the events whose jobs exhausted their attempts, and replay
 * them once the cause is fixed. Methods throw a VisiwiseConfigurationError in other modes.
 */
@Injectable()
export class VisiwiseDeadLetterService {
  /** @internal Created by Nest's injector. */
  constructor(private readonly runtime: VisiwiseDeliveryRuntime) {}

  /** Failed events, most recent first. */
  list(page?: FailedEventsPage): Promise<FailedVisiwiseEvent[]> {
    return this.runtime.getDeadLetters().list(page);
  }

  /** How many events are in the failed set. */
  count(): Promise<number> {
    return this.runtime.getDeadLetters().count();
  }

  /** Replays one failed event by delivery id (svix-id); false if it is not in the failed set. */
  replay(deliveryId: string): Promise<boolean> {
    return this.runtime.getDeadLetters().replay(deliveryId);
  }

  /** Replays every failed event; resolves how many were replayed. */
  replayAll(): Promise<number> {
    return this.runtime.getDeadLetters().replayAll();
  }
}
