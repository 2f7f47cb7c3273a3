import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import { handlerFailedResponseMessage } from '../http/http.messages';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import { handlerFailedLogMessage } from '../events/events.messages';
import { logHandlerErrors } from './delivery-logging';
import type { VisiwiseAckStatus } from './delivery-strategy.interface';
import { runClaimed } from './handle-once';
import { InProcessDeliveryStrategy } from './in-process-delivery.strategy';

/**
 * `delivery: 'inline'`: handlers run before the response, and 200 means they all succeeded. A
 * failure answers 500 and releases the claim, so Visiwise's retry handles the event. Nothing is
 * lost, at the price of handlers running inside Svix's 15 s timeout. A delivery still being handled
 * when the shutdown deadline passes is answered 503, so Visiwise retries it.
 */
export class InlineDeliveryStrategy extends InProcessDeliveryStrategy {
  deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus> {
    return this.answeredByDeadline(this.handle(event, trace));
  }

  private async handle(
    event: AnyVisiwiseEvent,
    trace: DeliveryTrace | undefined,
  ): Promise<VisiwiseAckStatus> {
    this.inFlight.enter();
    try {
      // The memory store answers at once: no await (and no promise) for its claim.
      const claim = this.claimAtOnce(event) ?? (await this.claimOrRefuse(event));
      if (claim === 'duplicate') {
        return 'duplicate';
      }
      const outcome = await runClaimed(
        event,
        claim,
        this.deps,
        { mode: 'inline', attempt: 1, parent: trace },
        // A failure answers 500, and Visiwise retries.
        false,
      );
      if (outcome.kind === 'failed') {
        logHandlerErrors(
          this.logger,
          outcome.errors,
          handlerFailedLogMessage(event.id, event.type, outcome.handlerCount),
        );
        throw new VisiwiseWebhookException('handler_failed', handlerFailedResponseMessage());
      }
      return 'received';
    } finally {
      this.inFlight.leave();
    }
  }
}
