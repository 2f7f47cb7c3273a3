import { DEFAULT_ENDPOINT_NAME } from '../endpoints/endpoint-config';
import { deliveryKey } from './event-reader';
import type { Logger } from '@nestjs/common';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import {
  deliveryInProgressMessage,
  keepUnparseableFailedLogMessage,
  shutdownTimeoutLogMessage,
  shuttingDownMessage,
  storeUnavailableMessage,
  unparseableKeptLogMessage,
} from './delivery.messages';
import type { DeadLetterStore } from './dead-letter-store.interface';
import { logStoreError } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import {
  ClaimOutcome,
  HandleDependencies,
  IdempotencyStoreError,
  claimDelivery,
  claimDeliveryNow,
} from './handle-once';
import type { VisiwiseDeliveryClaim } from './idempotency-store.interface';
import { InFlight } from './in-flight';
import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';

/**
 * What the two in-process modes (inline, background) share: they claim the delivery id before
 * acknowledging anything, refuse new deliveries once shutdown began, and let shutdown wait for
 * what they are still handling, until its deadline.
 */
export abstract class InProcessDeliveryStrategy implements DeliveryStrategy {
  protected readonly inFlight = new InFlight();
  /** How to answer each delivery not answered yet (inline mode), should the deadline pass. */
  private readonly unanswered = new Set<(refusal: Error) => void>();
  private closing = false;
  private readonly reportedUnparseable = new Set<string>();

  constructor(
    protected readonly deps: HandleDependencies,
    protected readonly logger: Logger,
    private readonly deadLetters: DeadLetterStore,
  ) {}

  abstract deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus>;

  async keepUnparseable(delivery: UnparseableVisiwiseDelivery): Promise<VisiwiseAckStatus> {
    if (this.closing) {
      throw new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
    }
    try {
      await this.deadLetters.put(delivery);
    } catch (error) {
      if (!this.deps.inRedisOutage()) {
        const cause = error instanceof Error ? error.message : String(error);
        this.logger.error(
          `${keepUnparseableFailedLogMessage(delivery.id, delivery.reason)} ${cause}`,
        );
      }
      throw new VisiwiseWebhookException('store_unavailable', storeUnavailableMessage());
    }
    this.deps.telemetry.deadLettered(
      undefined,
      'unparseable',
      delivery.endpoint ?? DEFAULT_ENDPOINT_NAME,
    );
    // Once per reason and process: a sender-side change would otherwise log every delivery; the
    // metrics count them and the dead letters list them all.
    if (!this.reportedUnparseable.has(delivery.reason)) {
      this.reportedUnparseable.add(delivery.reason);
      this.logger.warn(unparseableKeptLogMessage(delivery.id, delivery.reason));
    }
    return 'unparseable';
  }

  start(): void {
    // Work starts per delivery.
  }

  async drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    const left = await this.inFlight.waitIdle(timeoutMs);
    if (left > 0) {
      this.logger.error(shutdownTimeoutLogMessage(left, timeoutMs));
    }
    // The HTTP server closes after this and waits for every open request: one whose handler
    // outlives the deadline would keep the process alive. It is answered 503 now (Visiwise
    // retries it); its claim expires after its lease if the handler does not finish first.
    if (this.unanswered.size > 0) {
      const refusal = new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
      for (const answer of this.unanswered) {
        answer(refusal);
      }
      this.unanswered.clear();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Runs the work of a delivery whose answer waits for it (inline mode): its result, unless the
   * shutdown deadline passes first, which answers it 503 (see {@link drain}).
   */
  protected answeredByDeadline<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.unanswered.add(reject);
      work.then(
        (value) => {
          this.unanswered.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.unanswered.delete(reject);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * Claims the event's id for this process: resolves the claim, or `duplicate` for an id handled
   * already; throws the refusal to answer otherwise (503 while shutting down or when the store is
   * unavailable, 409 while another copy is being handled).
   */
  protected async claimOrRefuse(
    event: AnyVisiwiseEvent,
  ): Promise<VisiwiseDeliveryClaim | 'duplicate'> {
    const now = this.claimAtOnce(event);
    if (now !== undefined) {
      return now;
    }
    let claim;
    try {
      claim = await claimDelivery(deliveryKey(event), this.deps);
    } catch (error) {
      if (error instanceof IdempotencyStoreError) {
        if (!this.deps.inRedisOutage()) {
          logStoreError(this.logger, event.id, error);
        }
        throw new VisiwiseWebhookException('store_unavailable', storeUnavailableMessage());
      }
      throw error;
    }
    return acceptOrRefuse(claim);
  }

  /**
   * {@link claimOrRefuse} without waiting when the store answers synchronously (the memory store):
   * `undefined` for another store. Saves the delivery the async hops of a claim that is known at
   * once.
   */
  protected claimAtOnce(event: AnyVisiwiseEvent): VisiwiseDeliveryClaim | 'duplicate' | undefined {
    if (this.closing) {
      throw new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
    }
    const claim = claimDeliveryNow(deliveryKey(event), this.deps);
    return claim === undefined ? undefined : acceptOrRefuse(claim);
  }
}

/** The claim to go on with, `duplicate`, or the 409 of a copy being handled right now. */
function acceptOrRefuse(claim: ClaimOutcome): VisiwiseDeliveryClaim | 'duplicate' {
  if (!('kind' in claim)) {
    return claim;
  }
  if (claim.kind === 'duplicate') {
    return 'duplicate';
  }
  throw new VisiwiseWebhookException('delivery_in_progress', deliveryInProgressMessage());
}
