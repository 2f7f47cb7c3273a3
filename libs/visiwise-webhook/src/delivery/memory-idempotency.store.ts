import { LRUCache } from 'lru-cache';
import type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from './idempotency-store.interface';

type Entry =
  { readonly state: 'in_progress'; readonly token: string } | { readonly state: 'completed' };

// Every completed id shares this one value: the store holds up to maxEntries of them.
const COMPLETED: Entry = Object.freeze({ state: 'completed' });
// The answers that carry no data are shared too: a duplicate allocates nothing.
const COMPLETED_RESULT: VisiwiseClaimResult = Object.freeze({ status: 'completed' });
const IN_PROGRESS_RESULT: VisiwiseClaimResult = Object.freeze({ status: 'in_progress' });

/** Options of {@link MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /**
   * Most ids remembered; the least recently used are forgotten first. Size it to the deliveries
   * one instance receives within Svix's retry horizon (~28 h).
   * @default 100000
   */
  maxEntries?: number;
}

/**
 * The embedded idempotency store: an in-process LRU map with per-entry expiry (lru-cache), bounded
 * by `maxEntries`. No server needed; it deduplicates within one process only, so use
 * {@link RedisIdempotencyStore} when several instances receive deliveries.
 */
export class MemoryIdempotencyStore implements VisiwiseIdempotencyStore {
  private readonly entries: LRUCache<string, Entry>;
  // Claim tokens only need to differ within this store (it is never shared between processes):
  // a counter does that without drawing random bytes per delivery.
  private claims = 0;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.entries = new LRUCache<string, Entry>({ max: options.maxEntries ?? 100_000 });
  }

  /** How many ids are remembered now (claims and completions). */
  get size(): number {
    return this.entries.size;
  }

  claim(id: string, leaseMs: number): Promise<VisiwiseClaimResult> {
    return Promise.resolve(this.claimNow(id, leaseMs));
  }

  complete(claim: VisiwiseDeliveryClaim, ttlMs: number): Promise<void> {
    this.completeNow(claim, ttlMs);
    return Promise.resolve();
  }

  release(claim: VisiwiseDeliveryClaim): Promise<void> {
    this.releaseNow(claim);
    return Promise.resolve();
  }

  /**
   * {@link claim}, answered synchronously: the in-process strategies call it directly, so that a
   * delivery does not wait a turn of the microtask queue for an answer that is already known.
   */
  claimNow(id: string, leaseMs: number): VisiwiseClaimResult {
    // No await between the read and the write: atomic within the process.
    const existing = this.entries.get(id);
    if (existing !== undefined) {
      return existing.state === 'completed' ? COMPLETED_RESULT : IN_PROGRESS_RESULT;
    }
    const token = String(++this.claims);
    this.entries.set(id, { state: 'in_progress', token }, { ttl: leaseMs });
    return { status: 'claimed', id, token };
  }

  /** {@link complete}, synchronously. */
  completeNow(claim: VisiwiseDeliveryClaim, ttlMs: number): void {
    this.entries.set(claim.id, COMPLETED, { ttl: ttlMs });
  }

  /** {@link release}, synchronously. */
  releaseNow(claim: VisiwiseDeliveryClaim): void {
    const existing = this.entries.get(claim.id);
    if (existing?.state === 'in_progress' && existing.token === claim.token) {
      this.entries.delete(claim.id);
    }
  }
}
