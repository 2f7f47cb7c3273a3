import { deliveryKey } from './event-reader';
import { LRUCache } from 'lru-cache';
import type { DeadLetterStore } from './dead-letter-store.interface';
import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';

/**
 * The embedded dead-letter store: this process only, bounded (the oldest entries are dropped past
 * `maxEntries`), lost on restart. Configure `redis` for dead letters that outlive the process.
 */
export class MemoryDeadLetterStore implements DeadLetterStore {
  private readonly entries: LRUCache<string, UnparseableVisiwiseDelivery>;

  constructor(maxEntries: number) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  put(entry: UnparseableVisiwiseDelivery): Promise<void> {
    this.entries.set(deliveryKey(entry), entry);
    return Promise.resolve();
  }

  get(id: string): Promise<UnparseableVisiwiseDelivery | undefined> {
    // peek: reading an entry must not make it outlive newer ones.
    return Promise.resolve(this.entries.peek(id));
  }

  list(offset: number, limit: number): Promise<UnparseableVisiwiseDelivery[]> {
    // Entries are only ever set, never read with get(): recency order is insertion order.
    return Promise.resolve([...this.entries.values()].slice(offset, offset + limit));
  }

  count(): Promise<number> {
    return Promise.resolve(this.entries.size);
  }

  remove(id: string): Promise<void> {
    this.entries.delete(id);
    return Promise.resolve();
  }
}
