import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import type { VisiwiseTelemetry } from '../observability/visiwise-telemetry';
import type { VisiwiseHandlingContext } from '../observability/visiwise-tracing';
import { MemoryIdempotencyStore } from './memory-idempotency.store';
import type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from './idempotency-store.interface';

/** What happened to one run of an event's handlers. */
export type HandleOutcome =
  | { readonly kind: 'handled' }
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

/**
 * The delivery log's view of handling (the `inbox` option): every run of an event's handlers is
 * recorded as an attempt, and the delivery's status follows (handled, failed, dead).
 */
export interface DeliveryJournal {
  /**
   * Records one run. `final`: no other attempt will follow (queue attempts exhausted, or a
   * background failure nobody retries), so a failure makes the delivery `dead`. Never rejects:
   * a log that cannot be written must not fail handling that succeeded.
   */
  attempted(
    event: AnyVisiwiseEvent,
    run: {
      readonly attempt: number;
      readonly startedAt: Date;
      readonly outcome: HandleOutcome;
      readonly final: boolean;
    },
  ): Promise<void>;
}

/** What {@link claimDelivery} and {@link runClaimed} need (the queue mode uses no store). */
export interface HandleDependencies {
  /** The delivery log, when the `inbox` option is on. */
  readonly journal?: DeliveryJournal;
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

/**
 * {@link claimDelivery} without waiting, for a store that answers synchronously (the memory store);
 * `undefined` for any other store.
 */
export function claimDeliveryNow(id: string, deps: HandleDependencies): ClaimOutcome | undefined {
  const store = deps.store;
  return store instanceof MemoryIdempotencyStore
    ? claimOutcome(store.claimNow(id, deps.leaseMs))
    : undefined;
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
 * Runs the handlers of a claimed event (see {@link runHandlers}), then completes (all succeeded)
 * or releases (one failed) the claim, so that a retry can handle it. Never throws.
 */
export function runClaimed(
  event: AnyVisiwiseEvent,
  claim: VisiwiseDeliveryClaim,
  deps: HandleDependencies,
  context: VisiwiseHandlingContext,
  final: boolean,
): Promise<HandleOutcome> {
  return runHandlers(event, deps, context, final, (outcome) => settleClaim(outcome, claim, deps));
}

/** Completes or releases the claim after its handlers ran. Never rejects. */
function settleClaim(
  outcome: HandleOutcome,
  claim: VisiwiseDeliveryClaim,
  deps: HandleDependencies,
): Promise<void> | undefined {
  const store = deps.store;
  if (store instanceof MemoryIdempotencyStore) {
    // Synchronous and never failing: no turn of the microtask queue spent on a promise.
    if (outcome.kind === 'failed') {
      store.releaseNow(claim);
    } else {
      store.completeNow(claim, deps.ttlMs);
    }
    return undefined;
  }
  if (outcome.kind === 'failed') {
    return store.release(claim).catch((error: unknown) => {
      // The claim then expires after its lease; the retry after that handles the event.
      deps.onStoreError(new IdempotencyStoreError('release', error));
    });
  }
  return store.complete(claim, deps.ttlMs).catch((error: unknown) => {
    // Handled but not remembered: a later duplicate could run the handlers again. Still a
    // success: failing now would make Visiwise retry an event that was handled.
    deps.onStoreError(new IdempotencyStoreError('complete', error));
  });
}

/**
 * Runs an event's handlers, observed by the telemetry (duration, failures, the handler span) and
 * recorded in the delivery log when there is one, without the idempotency store: the queue mode's
 * job id already makes one job of one delivery. `final`: no attempt follows a failure of this one.
 * `settle` runs once the outcome is known, at the same time as its record in the log (two writes
 * that do not depend on each other, so the answer waits for one round trip, not two). Never throws.
 */
export async function runHandlers(
  event: AnyVisiwiseEvent,
  deps: Pick<HandleDependencies, 'publisher' | 'telemetry' | 'journal'>,
  context: VisiwiseHandlingContext,
  final: boolean,
  settle?: (outcome: HandleOutcome) => Promise<void> | undefined,
): Promise<HandleOutcome> {
  const journal = deps.journal;
  const startedAt = journal === undefined ? undefined : new Date();
  const observed = await deps.telemetry.handle(event, context, () => publishObserved(event, deps));
  const outcome: HandleOutcome = observed.ok
    ? HANDLED
    : { kind: 'failed', errors: observed.errors, handlerCount: observed.handlerCount };
  const settled = settle?.(outcome);
  if (journal !== undefined && startedAt !== undefined) {
    await Promise.all([
      journal.attempted(event, { attempt: context.attempt, startedAt, outcome, final }),
      settled,
    ]);
  } else if (settled !== undefined) {
    await settled;
  }
  return outcome;
}

const HANDLED = Object.freeze({ kind: 'handled' } as const);

/** The publisher's outcome in the shape the telemetry observes. */
function publishObserved(
  event: AnyVisiwiseEvent,
  deps: Pick<HandleDependencies, 'publisher'>,
): Promise<{
  readonly ok: boolean;
  readonly handlerCount: number;
  readonly error: unknown;
  readonly errors: readonly unknown[];
}> {
  return deps.publisher.publish(event).then(({ errors, handlerCount }) => ({
    ok: errors.length === 0,
    handlerCount,
    error: errors[0],
    errors,
  }));
}
