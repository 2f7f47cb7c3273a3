import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import { backgroundFailedLogMessage } from './delivery.messages';
import { logHandlerErrors } from './delivery-logging';
import type { VisiwiseAckStatus } from './delivery-strategy.interface';
import { runClaimed } from './handle-once';
import type { VisiwiseDeliveryClaim } from './idempotency-store.interface';
import { InProcessDeliveryStrategy } from './in-process-delivery.strategy';

/**
 * `delivery: 'background'`: the delivery is claimed (so duplicates are still recognised), answered
 * 200, and handled right after in this process. Fast acknowledgements, but an event in flight when
 * the process dies is lost: Visiwise got its 200 and will not retry. A failure is logged and
 * emitted as VISIWISE_DELIVERY_FAILED_EVENT; its claim is released, so a later redelivery of the
 * same id (e.g. a manual resend) handles it.
 */
export class BackgroundDeliveryStrategy extends InProcessDeliveryStrategy {
  async deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus> {
    const claim = await this.claimOrRefuse(event);
    if (claim === 'duplicate') {
      return 'duplicate';
    }
    this.inFlight.enter();
    void this.handleLater(event, claim, trace);
    return 'received';
  }

  // Never rejects: the delivery was acknowledged, so a failure here can only be logged and announced.
  private async handleLater(
    event: AnyVisiwiseEvent,
    claim: VisiwiseDeliveryClaim,
    trace: DeliveryTrace | undefined,
  ): Promise<void> {
    try {
      // Let the 200 go out before any handler code runs.
      await nextTurn();
      const outcome = await runClaimed(
        event,
        claim,
        this.deps,
        { mode: 'background', attempt: 1, parent: trace },
        // A failure here is retried by nobody: the delivery was acknowledged.
        true,
      );
      if (outcome.kind !== 'failed') {
        return;
      }
      logHandlerErrors(
        this.logger,
        outcome.errors,
        backgroundFailedLogMessage(event.id, event.type),
      );
      await this.deps.publisher.publishFailure({
        event,
        errors: outcome.errors,
        mode: 'background',
      });
    } catch (error) {
      logHandlerErrors(this.logger, [error], backgroundFailedLogMessage(event.id, event.type));
    } finally {
      this.inFlight.leave();
    }
  }
}
