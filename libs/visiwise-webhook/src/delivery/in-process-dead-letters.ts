import type { DeadLetterStore } from './dead-letter-store.interface';
import { deliveryKey } from './event-reader';
import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';
import {
  FailedEventsPage,
  FailedVisiwiseEvent,
  VisiwiseDeadLetterSet,
  pageBounds,
  unparseableEntry,
} from './visiwise-dead-letters';

/**
 * The dead letters of the inline and background modes: deliveries kept as unparseable, in the
 * memory or Redis store. Replaying one reads its body anew and, if it is an event now, delivers it
 * as a fresh delivery of the configured mode (deduplicated as usual); the entry is removed once
 * that delivery is acknowledged, and a handler failure reaches the caller.
 */
export class InProcessDeadLetters implements VisiwiseDeadLetterSet {
  constructor(
    private readonly endpoint: string,
    private readonly store: DeadLetterStore,
    /** Delivers a kept delivery again; resolves false while its body is still not an event. */
    private readonly redeliver: (delivery: UnparseableVisiwiseDelivery) => Promise<boolean>,
  ) {}

  async list(page: FailedEventsPage = {}): Promise<FailedVisiwiseEvent[]> {
    const { offset, limit } = pageBounds(page);
    const entries = await this.store.list(offset, limit);
    return entries.map((delivery) => unparseableEntry(delivery, this.endpoint));
  }

  count(): Promise<number> {
    return this.store.count();
  }

  async replay(deliveryId: string, tenant?: string): Promise<boolean> {
    const key = deliveryKey({ id: deliveryId, tenant });
    const delivery = await this.store.get(key);
    if (delivery === undefined || !(await this.redeliver(delivery))) {
      return false;
    }
    await this.store.remove(key);
    return true;
  }

  async replayAll(): Promise<number> {
    const snapshot: UnparseableVisiwiseDelivery[] = [];
    const pageSize = 500;
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.store.list(offset, pageSize);
      snapshot.push(...page);
      if (page.length < pageSize) {
        break;
      }
    }
    let replayed = 0;
    for (const delivery of snapshot) {
      if (await this.replay(delivery.id, delivery.tenant)) {
        replayed++;
      }
    }
    return replayed;
  }
}
