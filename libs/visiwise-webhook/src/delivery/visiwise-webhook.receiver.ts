import { Inject, Injectable, Logger } from '@nestjs/common';
import { noHandlerLogMessage, unknownTypeLogMessage } from '../events/events.messages';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import {
  isBuiltInEventType,
  parseVisiwiseEnvelope,
  readVisiwiseEnvelope,
} from '../events/visiwise-event.parser';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import type { VerifiedWebhookRequest } from '../http/webhook-request';
import { LOGGER_CONTEXT, VISIWISE_WEBHOOK_CONFIG } from '../visiwise-webhook.constants';
import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';
import type { VisiwiseAckStatus } from './delivery-strategy.interface';
import { VisiwiseDeliveryRuntime } from './visiwise-delivery.runtime';

const MAX_CHECKED_TYPES = 1000;

/**
 * Turns a verified delivery into an event and hands it to the configured delivery mode, which
 * decides when it is acknowledged. The event comes from the platform's parse of the verified bytes
 * when there is one (one JSON parse per delivery), else from parsing them (`reparseRawBody`).
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
      return this.runtime.deliver(this.toEvent(verified));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private toEvent(verified: VerifiedWebhookRequest): AnyVisiwiseEvent {
    const { delivery, rawBody, parsedBody } = verified;
    const { maxJsonDepth, reparseRawBody } = this.config.http;
    const parsed =
      parsedBody === undefined || reparseRawBody
        ? parseVisiwiseEnvelope(rawBody, { maxDepth: maxJsonDepth })
        : readVisiwiseEnvelope(parsedBody, { maxDepth: maxJsonDepth });
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
    this.reportUnusualType(type);
    return event;
  }

  // Once per type and process: unknown types are normal (forward compatibility), not log floods.
  // Handlers are all registered at bootstrap, so one look per type is enough (and keeps the
  // listener lookups off the per-delivery path).
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
      this.logger.warn(noHandlerLogMessage(type));
    } else {
      this.logger.log(unknownTypeLogMessage(type));
    }
  }
}
