import type { Logger } from '@nestjs/common';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { handlerFailedResponseMessage } from '../http/http.messages';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import {
  deliveryInProgressMessage,
  shutdownTimeoutLogMessage,
  shuttingDownMessage,
  storeUnavailableMessage,
} from './delivery.messages';
import { logHandlerErrors, logStoreError } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import { HandleDependencies, IdempotencyStoreError, handleOnce } from './handle-once';
import { InFlight } from './in-flight';

/**
 * `delivery: 'inline'`: handlers run before the response, and 200 means they all succeeded. A
 * failure answers 500 and releases the claim, so Visiwise's retry handles the event. Nothing is
 * lost, at the price of handlers running inside Svix's 15 s timeout.
 */
export class InlineDeliveryStrategy implements DeliveryStrategy {
  private readonly inFlight = new InFlight();
  private closing = false;

  constructor(
    private readonly deps: HandleDependencies,
    private readonly logger: Logger,
  ) {}

  deliver(event: AnyVisiwiseEvent): Promise<VisiwiseAckStatus> {
    if (this.closing) {
      return Promise.reject(new VisiwiseWebhookException('shutting_down', shuttingDownMessage()));
    }
    return this.inFlight.track(this.handle(event));
  }

  start(): void {
    // Nothing runs in the background.
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

  private async handle(event: AnyVisiwiseEvent): Promise<VisiwiseAckStatus> {
    let outcome;
    try {
      outcome = await handleOnce(event, this.deps);
    } catch (error) {
      if (error instanceof IdempotencyStoreError) {
        logStoreError(this.logger, event.id, error);
        throw new VisiwiseWebhookException('store_unavailable', storeUnavailableMessage());
      }
      throw error;
    }
    switch (outcome.kind) {
      case 'handled':
        return 'received';
      case 'duplicate':
        return 'duplicate';
      case 'in_progress':
        throw new VisiwiseWebhookException('delivery_in_progress', deliveryInProgressMessage());
      case 'failed':
        logHandlerErrors(this.logger, event.id, event.type, outcome.errors, outcome.handlerCount);
        throw new VisiwiseWebhookException('handler_failed', handlerFailedResponseMessage());
      default: {
        const unreachable: never = outcome;
        return unreachable;
      }
    }
  }
}
