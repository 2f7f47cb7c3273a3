import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';

/**
 * Keeps the deliveries of the inline and background modes that could not be read as events, until
 * they are replayed. The queue mode keeps its dead letters in BullMQ's failed set instead.
 */
export interface DeadLetterStore {
  /**
   * Stores an entry under its key, `deliveryKey(entry)` (the delivery id, after the tenant on
   * tenant endpoints); a second put of the same key replaces the first.
   */
  put(entry: UnparseableVisiwiseDelivery): Promise<void>;
  get(key: string): Promise<UnparseableVisiwiseDelivery | undefined>;
  /** Entries, most recently received first. */
  list(offset: number, limit: number): Promise<UnparseableVisiwiseDelivery[]>;
  count(): Promise<number>;
  remove(key: string): Promise<void>;
}
