import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  invalidPayloadMessage,
  noHandlerLogMessage,
  unknownTypeLogMessage,
} from '../events/events.messages';
import { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { isBuiltInEventType } from '../events/visiwise-event.parser';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import type { VerifiedWebhookRequest } from '../http/webhook-request';
import { LOGGER_CONTEXT, VISIWISE_WEBHOOK_CONFIG } from '../visiwise-webhook.constants';
import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';
import type { VisiwiseAckStatus } from './delivery-strategy.interface';
import { readDeliveryEnvelope, toEvent } from './event-reader';
import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';
import { VisiwiseDeliveryRuntime } from './visiwise-delivery.runtime';

const MAX_CHECKED_TYPES = 1000;

/**
 * Turns a verified delivery into an event and hands it to the configured delivery mode, which
 * decides when it is acknowledged. The event comes from the platform's parse of the verified bytes
 * when there is one (one JSON parse per delivery), else from parsing them (`reparseRawBody`). A
 * body that is no usable envelope is kept in the dead letters (or refused, in strict mode).
 */
@Injectable()
export class VisiwiseWebhookReceiver {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly checkedTypes = new Set<string>();

  constructor(
    @Inject(VISIWISE_WEBHOOK_CONFIG) private readonly config: VisiwiseWebhookConfig,
    private readonly runtime: VisiwiseDeliveryRuntime,
    private readonly publisher: VisiwiseEventPublisher,
  ) {}

  /**
   * Parses and delivers; rejects with a {@link VisiwiseWebhookException} for anything but success.
   * Not `async`: the delivery's own promise is handed back as it is, without wrapping it in another.
   */
  receive(verified: VerifiedWebhookRequest): Promise<VisiwiseAckStatus> {
    try {
      const parsed = readDeliveryEnvelope(this.config, verified);
      const strict = this.config.payload.validation === 'strict';
      if (!parsed.ok) {
        if (strict) {
          throw new VisiwiseWebhookException(parsed.problem, parsed.message);
        }
        return this.runtime.keepUnparseable(
          toUnparseable(verified, parsed.problem, parsed.message),
        );
      }
      const { envelope } = parsed;
      if (strict && envelope.issues.length > 0) {
        throw new VisiwiseWebhookException(
          'invalid_payload',
          invalidPayloadMessage(envelope.type, envelope.issues),
        );
      }
      this.reportUnusualType(envelope.type);
      return this.runtime.deliver(toEvent(envelope, verified.delivery, new Date()));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  // Once per type and process: unknown types are normal (forward compatibility), not log floods.
  // Handlers are all registered at bootstrap, so one look per type is enough (and keeps the
  // listener lookups off the per-delivery path). In queue mode the handlers may live in other
  // processes: the worker reports a type it has no handler for.
  private reportUnusualType(type: string): void {
    if (this.checkedTypes.has(type)) {
      return;
    }
    if (this.checkedTypes.size < MAX_CHECKED_TYPES) {
      this.checkedTypes.add(type);
    }
    const handlerCount = this.publisher.handlerCount(type);
    if (isBuiltInEventType(type) && handlerCount > 0) {
      return;
    }
    if (handlerCount === 0) {
      if (this.config.delivery.mode !== 'queue') {
        this.logger.warn(noHandlerLogMessage(type));
      }
    } else {
      this.logger.log(unknownTypeLogMessage(type));
    }
  }
}

/** What the dead letters keep of a verified body that is not a usable envelope. */
function toUnparseable(
  verified: VerifiedWebhookRequest,
  reason: UnparseableVisiwiseDelivery['reason'],
  message: string,
): UnparseableVisiwiseDelivery {
  const { delivery, rawBody, headers } = verified;
  const signature = headers['svix-signature'] ?? headers['webhook-signature'] ?? '';
  return {
    kind: 'unparseable',
    id: delivery.id,
    reason,
    message,
    receivedAt: new Date().toISOString(),
    headers: {
      'svix-id': delivery.id,
      'svix-timestamp': String(Math.floor(delivery.timestamp.getTime() / 1000)),
      'svix-signature': Array.isArray(signature) ? signature.join(' ') : signature,
    },
    rawBody: rawBody.toString('base64'),
  };
}
