import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import type { VisiwiseTelemetry } from '../observability/visiwise-telemetry';
import type { VisiwiseHandlingContext } from '../observability/visiwise-tracing';
import type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from './idempotency-store.interface';

/** What happened to one attempt at handling an event under the idempotency store. */
export type HandleOutcome =
  | { readonly kind: 'handled' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'in_progress' }
  | { readonly kind: 'failed'; readonly errors: readonly unknown[]; readonly handlerCount: number };

/** The store could not be read or written. */
export class IdempotencyStoreError extends Error {
  constructor(
    readonly operation: 'claim' | 'complete' | 'release',
    override readonly cause: unknown,
  ) {
    super(`idempotency store ${operation} failed`);
    this.name = 'IdempotencyStoreError';
  }
}

/** What {@link claimDelivery} and {@link runClaimed} need. */
export interface HandleDependencies {
  readonly store: VisiwiseIdempotencyStore;
  readonly publisher: VisiwiseEventPublisher;
  readonly telemetry: VisiwiseTelemetry;
  /**
   * Whether Redis is known to be down: the outage has its one log line, so a delivery refused
   * because of it logs nothing more (the metrics count it), or an outage would log every delivery.
   */
  readonly inRedisOutage: () => boolean;
  readonly leaseMs: number;
  readonly ttlMs: number;
  /** Told when completing or releasing failed after the handlers ran (not fatal). */
  readonly onStoreError: (error: IdempotencyStoreError) => void;
}

/**
 * Claims the event's id. Returns the claim, or the outcome that makes handling unnecessary
 * (`duplicate`, `in_progress`). Throws {@link IdempotencyStoreError} when the store failed, before
 * anything was handled.
 */
export async function claimDelivery(id: string, deps: HandleDependencies): Promise<ClaimOutcome> {
  let claim;
  try {
    claim = await deps.store.claim(id, deps.leaseMs);
  } catch (error) {
    throw new IdempotencyStoreError('claim', error);
  }
  return claimOutcome(claim);
}

/** What a claim result means for the delivery: claimed (go on), or already handled / in progress. */
export type ClaimOutcome = VisiwiseDeliveryClaim | { readonly kind: 'duplicate' | 'in_progress' };

/** Maps the store's answer to a {@link ClaimOutcome}. */
function claimOutcome(claim: VisiwiseClaimResult): ClaimOutcome {
  switch (claim.status) {
    case 'claimed':
      return claim;
    case 'completed':
      return DUPLICATE;
    case 'in_progress':
      return IN_PROGRESS;
    default: {
      const unreachable: never = claim;
      return unreachable;
    }
  }
}

const DUPLICATE = Object.freeze({ kind: 'duplicate' } as const);
const IN_PROGRESS = Object.freeze({ kind: 'in_progress' } as const);

/**
 * Runs the handlers of a claimed event (observed by the telemetry: duration, failures, the handler
 * span), then completes (all succeeded) or releases (one failed) the claim, so that a retry can
 * handle it. Never throws.
 */
export async function runClaimed(
  event: AnyVisiwiseEvent,
  claim: VisiwiseDeliveryClaim,
  deps: HandleDependencies,
  context: VisiwiseHandlingContext,
): Promise<HandleOutcome> {
  const outcome = await deps.telemetry.handle(event, context, () => publishObserved(event, deps));
  if (!outcome.ok) {
    try {
      await deps.store.release(claim);
    } catch (error) {
      // The claim then expires after its lease; the retry after that handles the event.
      deps.onStoreError(new IdempotencyStoreError('release', error));
    }
    return { kind: 'failed', errors: outcome.errors, handlerCount: outcome.handlerCount };
  }
  try {
    await deps.store.complete(claim, deps.ttlMs);
  } catch (error) {
    // Handled but not remembered: a later duplicate could run the handlers again. Still a
    // success: failing now would make Visiwise retry an event that was handled.
    deps.onStoreError(new IdempotencyStoreError('complete', error));
  }
  return { kind: 'handled' };
}

/** Claim, then run: exactly-once-in-effect means the same thing in every delivery mode. */
export async function handleOnce(
  event: AnyVisiwiseEvent,
  deps: HandleDependencies,
  context: VisiwiseHandlingContext,
): Promise<HandleOutcome> {
  const claim = await claimDelivery(event.id, deps);
  return 'kind' in claim ? claim : runClaimed(event, claim, deps, context);
}

/** The publisher's outcome in the shape the telemetry observes. */
async function publishObserved(
  event: AnyVisiwiseEvent,
  deps: HandleDependencies,
): Promise<{
  readonly ok: boolean;
  readonly handlerCount: number;
  readonly error: unknown;
  readonly errors: readonly unknown[];
}> {
  const { errors, handlerCount } = await deps.publisher.publish(event);
  return { ok: errors.length === 0, handlerCount, error: errors[0], errors };
}
