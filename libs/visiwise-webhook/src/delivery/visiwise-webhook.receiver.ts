import { Injectable, Logger } from '@nestjs/common';
import {
  unknownTypeLogMessage,
  handlerFailedLogMessage,
  noHandlerLogMessage,
} from '../events/events.messages';
import { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { isBuiltInEventType, parseVisiwiseEnvelope } from '../events/visiwise-event.parser';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { handlerFailedResponseMessage } from '../http/http.messages';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import type { VerifiedVisiwiseDelivery } from '../signature/visiwise-webhook-verifier';
import { LOGGER_CONTEXT } from '../visiwise-webhook.constants';

const MAX_REPORTED_TYPES = 1000;

/**
 * Turns a verified delivery into an event and hands it to the handlers before answering
 * (inline acknowledgement): the delivery succeeds only if every handler did.
 */
@Injectable()
export class VisiwiseWebhookReceiver {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly reportedTypes = new Set<string>();

  constructor(private readonly publisher: VisiwiseEventPublisher) {}

  /** Parses, publishes and throws a {@link VisiwiseWebhookException} for anything but success. */
  async receive(delivery: VerifiedVisiwiseDelivery, rawBody: Buffer): Promise<void> {
    const parsed = parseVisiwiseEnvelope(rawBody);
    if (!parsed.ok) {
      throw new VisiwiseWebhookException(parsed.problem, parsed.message);
    }
    const { type, data, timestamp } = parsed.envelope;
    const event = {
      id: delivery.id,
      type,
      timestamp: timestamp ?? delivery.timestamp,
      data,
      receivedAt: new Date(),
    } as AnyVisiwiseEvent;

    const outcome = await this.publisher.publish(event);
    if (outcome.errors.length > 0) {
      for (const error of outcome.errors) {
        this.logger.error(
          handlerFailedLogMessage(event.id, event.type, outcome.handlerCount),
          error instanceof Error ? error.stack : String(error),
        );
      }
      throw new VisiwiseWebhookException('handler_failed', handlerFailedResponseMessage());
    }
    this.reportUnhandled(type, outcome.handlerCount);
  }

  // Once per type and process: unknown types are normal (forward compatibility), not log floods.
  private reportUnhandled(type: string, handlerCount: number): void {
    const builtIn = isBuiltInEventType(type);
    if ((builtIn && handlerCount > 0) || this.reportedTypes.has(type)) {
      return;
    }
    if (this.reportedTypes.size < MAX_REPORTED_TYPES) {
      this.reportedTypes.add(type);
    }
    if (handlerCount === 0) {
      this.logger.warn(noHandlerLogMessage(type));
    } else {
      this.logger.log(unknownTypeLogMessage(type));
    }
  }
}
