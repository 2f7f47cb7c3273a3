/** A claim this process holds on a delivery id: it may now run the handlers. */
export interface VisiwiseDeliveryClaim {
  readonly status: 'claimed';
  readonly id: string;
  /** Identifies this claim, so that releasing it never drops somebody else's. */
  readonly token: string;
}

/**
 * Result of {@link VisiwiseIdempotencyStore.claim}:
 * - `claimed`: nobody handled or is handling this id; the caller must `complete` or `release` it;
 * - `in_progress`: another copy is being handled right now (here or on another instance);
 * - `completed`: it was handled successfully already.
 */
export type VisiwiseClaimResult =
  VisiwiseDeliveryClaim | { readonly status: 'in_progress' } | { readonly status: 'completed' };

/**
 * Remembers which deliveries (by `svix-id`) were handled, so that Svix's retries and concurrent
 * duplicates run the handlers once. Two phases: `claim` before handling (atomic: one caller wins),
 * then `complete` after success or `release` after failure, so that a retry can handle it.
 *
 * Two implementations ship: {@link MemoryIdempotencyStore} (one process, bounded) and
 * {@link RedisIdempotencyStore} (shared by every instance). Implement this interface to use
 * another database; `claim` must be atomic across everything that shares the store.
 */
export interface VisiwiseIdempotencyStore {
  /**
   * Atomically claims an id for `leaseMs`. A claim not completed or released by then expires
   * (e.g. the process died), and a later retry can claim the id again.
   */
  claim(id: string, leaseMs: number): Promise<VisiwiseClaimResult>;
  /** Marks a claimed id as handled, remembered for `ttlMs` (longer than Svix's retry horizon). */
  complete(claim: VisiwiseDeliveryClaim, ttlMs: number): Promise<void>;
  /** Drops a claim after a failure, so the next delivery attempt handles the event. */
  release(claim: VisiwiseDeliveryClaim): Promise<void>;
  /** Frees resources (connections) on application shutdown. */
  close?(): Promise<void>;
}
