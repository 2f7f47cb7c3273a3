import type { Logger } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import {
  backgroundFailedLogMessage,
  deliveryInProgressMessage,
  shutdownTimeoutLogMessage,
  shuttingDownMessage,
  storeUnavailableMessage,
} from './delivery.messages';
import { logHandlerErrors, logStoreError } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import {
  HandleDependencies,
  IdempotencyStoreError,
  claimDelivery,
  runClaimed,
} from './handle-once';
import { InFlight } from './in-flight';
import type { VisiwiseDeliveryClaim } from './idempotency-store.interface';

/**
 * `delivery: 'background'`: the delivery is claimed (so duplicates are still recognised), answered
 * 200, and handled right after in this process. Fast acknowledgements, but an event in flight when
 * the process dies is lost: Visiwise got its 200 and will not retry. A failure is logged and
 * emitted as VISIWISE_DELIVERY_FAILED_EVENT; its claim is released, so a later redelivery of the
 * same id (e.g. a manual resend) handles it.
 */
export class BackgroundDeliveryStrategy implements DeliveryStrategy {
  private readonly inFlight = new InFlight();
  private closing = false;

  constructor(
    private readonly deps: HandleDependencies & { readonly publisher: VisiwiseEventPublisher },
    private readonly logger: Logger,
  ) {}

  async deliver(event: AnyVisiwiseEvent): Promise<VisiwiseAckStatus> {
    if (this.closing) {
      throw new VisiwiseWebhookException('shutting_down', shuttingDownMessage());
    }
    let claim;
    try {
      claim = await claimDelivery(event.id, this.deps);
    } catch (error) {
      if (error instanceof IdempotencyStoreError) {
        logStoreError(this.logger, event.id, error);
        throw new VisiwiseWebhookException('store_unavailable', storeUnavailableMessage());
      }
      throw error;
    }
    if ('kind' in claim) {
      if (claim.kind === 'duplicate') {
        return 'duplicate';
      }
      throw new VisiwiseWebhookException('delivery_in_progress', deliveryInProgressMessage());
    }
    void this.inFlight.track(this.handleLater(event, claim));
    return 'received';
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
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async handleLater(event: AnyVisiwiseEvent, claim: VisiwiseDeliveryClaim): Promise<void> {
    // Let the 200 go out before any handler code runs.
    await nextTurn();
    const outcome = await runClaimed(event, claim, this.deps);
    if (outcome.kind !== 'failed') {
      return;
    }
    logHandlerErrors(
      this.logger,
      event.id,
      event.type,
      outcome.errors,
      outcome.handlerCount,
      backgroundFailedLogMessage(event.id, event.type),
    );
    await this.deps.publisher.publishFailure({ event, errors: outcome.errors, mode: 'background' });
  }
}
