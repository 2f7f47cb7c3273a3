import type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from './idempotency-store.interface';

/**
 * One endpoint's view of an application store shared by several endpoints: its ids get the
 * endpoint's prefix, so that the same `svix-id` on two endpoints is two deliveries. Closing is left
 * to the owner of the shared store.
 */
export class NamespacedIdempotencyStore implements VisiwiseIdempotencyStore {
  constructor(
    private readonly store: VisiwiseIdempotencyStore,
    private readonly prefix: string,
  ) {}

  async claim(id: string, leaseMs: number): Promise<VisiwiseClaimResult> {
    const result = await this.store.claim(this.prefix + id, leaseMs);
    return result.status === 'claimed' ? { ...result, id } : result;
  }

  complete(claim: VisiwiseDeliveryClaim, ttlMs: number): Promise<void> {
    return this.store.complete({ ...claim, id: this.prefix + claim.id }, ttlMs);
  }

  release(claim: VisiwiseDeliveryClaim): Promise<void> {
    return this.store.release({ ...claim, id: this.prefix + claim.id });
  }
}
