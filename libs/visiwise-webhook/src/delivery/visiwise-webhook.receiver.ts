import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  invalidPayloadMessage,
  noHandlerLogMessage,
  unknownTypeLogMessage,
} from '../events/events.messages';
import { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import {
  isBuiltInEventType,
  type VisiwiseUnparseableReason,
} from '../events/visiwise-event.parser';
import { VisiwiseWebhookException, refusalAnswer } from '../http/visiwise-webhook.exception';
import { VisiwiseTelemetry } from '../observability/visiwise-telemetry';
import type { VerifiedWebhookRequest } from '../http/webhook-request';
import type { ResolvedEndpoint } from '../endpoints/endpoint-config';
import type { DeliveryRoute } from '../observability/delivery-answer.interface';
import type { VisiwiseDeliveryLogEntry } from '../postgres/delivery-log.interface';
import { unparseableError } from '../inbox/inbox-dead-letter.store';
import { trackingRefsOf } from '../inbox/tracking-refs';
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
  // Endpoint -> event type -> whether this process hands it to a handler (see hasHandlers).
  private readonly handledTypes = new Map<ResolvedEndpoint, Map<string, boolean>>();

  constructor(
    @Inject(VISIWISE_WEBHOOK_CONFIG) private readonly config: VisiwiseWebhookConfig,
    private readonly runtime: VisiwiseDeliveryRuntime,
    private readonly publisher: VisiwiseEventPublisher,
    private readonly telemetry: VisiwiseTelemetry,
  ) {}

  /**
   * Parses and delivers; rejects with a {@link VisiwiseWebhookException} for anything but success.
   * The answer, whatever it is, is recorded here once (metrics, the receive span).
   */
  receive(verified: VerifiedWebhookRequest): Promise<VisiwiseAckStatus> {
    let type: string | undefined;
    try {
      const parsed = readDeliveryEnvelope(this.config, verified);
      const strict = this.config.payload.validation === 'strict';
      if (!parsed.ok) {
        if (strict) {
          throw new VisiwiseWebhookException(parsed.problem, parsed.message);
        }
        const unparseable = toUnparseable(verified, parsed.problem, parsed.message);
        const journal = this.runtime.journal;
        const kept =
          journal === undefined
            ? this.runtime.keepUnparseable(unparseable)
            : journal
                .record(
                  logEntry(verified, {
                    eventType: null,
                    status: 'unparseable',
                    error: unparseableError(parsed.problem, parsed.message),
                  }),
                )
                .then(() => this.runtime.keepUnparseable(unparseable));
        return this.observe(verified, undefined, kept, parsed.problem);
      }
      const { envelope } = parsed;
      type = envelope.type;
      if (strict && envelope.issues.length > 0) {
        throw new VisiwiseWebhookException(
          'invalid_payload',
          invalidPayloadMessage(envelope.type, envelope.issues),
        );
      }
      const { endpoint } = verified;
      if (!this.hasHandlers(type, endpoint)) {
        this.telemetry.noHandler(type, 'receive', endpoint.name);
      }
      const event = toEvent(envelope, verified.delivery, new Date(), {
        endpoint: endpoint.name,
        tenant: verified.tenant,
      });
      const journal = this.runtime.journal;
      // With the inbox on, a delivery is recorded before anything else may acknowledge it.
      const delivered =
        journal === undefined
          ? this.runtime.deliver(event, verified.trace)
          : journal
              .record(
                logEntry(verified, {
                  eventType: type,
                  receivedAt: event.receivedAt,
                  issues: envelope.issues,
                  trackingRefs: trackingRefsOf(event.data),
                }),
              )
              .then(() => this.runtime.deliver(event, verified.trace));
      return this.observe(verified, type, delivered, undefined);
    } catch (error) {
      this.telemetry.answered(
        verified.trace,
        refusalAnswer(error, verified.delivery, type, routeOf(verified)),
      );
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Records the answer once the delivery mode decided it. */
  private observe(
    verified: VerifiedWebhookRequest,
    type: string | undefined,
    pending: Promise<VisiwiseAckStatus>,
    unparseable: VisiwiseUnparseableReason | undefined,
  ): Promise<VisiwiseAckStatus> {
    const { delivery, trace } = verified;
    return pending.then(
      (status) => {
        this.telemetry.answered(trace, {
          endpoint: verified.endpoint.name,
          tenant: verified.tenant,
          outcome: status === 'received' ? 'accepted' : status,
          reason: unparseable,
          status: 200,
          deliveryId: delivery.id,
          type,
          signedAt: delivery.timestamp,
        });
        return status;
      },
      (error: unknown) => {
        this.telemetry.answered(
          trace,
          refusalAnswer(error, verified.delivery, type, routeOf(verified)),
        );
        throw error;
      },
    );
  }

  /**
   * Whether any handler in this process takes the type; reported once per type and process
   * (unknown types are normal, for forward compatibility: not log floods). Handlers are all
   * registered at bootstrap, so the answer is kept. In queue mode the handlers may live in other
   * processes: the worker reports a type it has no handler for.
   */
  private hasHandlers(type: string, endpoint: ResolvedEndpoint): boolean {
    let handledTypes = this.handledTypes.get(endpoint);
    if (handledTypes === undefined) {
      handledTypes = new Map();
      this.handledTypes.set(endpoint, handledTypes);
    }
    const known = handledTypes.get(type);
    if (known !== undefined) {
      return known;
    }
    const handlerCount = this.publisher.handlerCount(type, endpoint.name);
    const queue = endpoint.delivery.mode === 'queue';
    if (handledTypes.size < MAX_CHECKED_TYPES) {
      handledTypes.set(type, handlerCount > 0 || queue);
    }
    if (handlerCount === 0) {
      if (!queue) {
        this.logger.warn(noHandlerLogMessage(type, endpoint.name));
      }
    } else if (!isBuiltInEventType(type)) {
      this.logger.log(unknownTypeLogMessage(type));
    }
    return handlerCount > 0 || queue;
  }
}

/** The delivery log's entry of a verified request. */
function logEntry(
  verified: VerifiedWebhookRequest,
  fields: Pick<
    VisiwiseDeliveryLogEntry,
    'eventType' | 'receivedAt' | 'issues' | 'trackingRefs' | 'status' | 'error'
  >,
): VisiwiseDeliveryLogEntry {
  const { headers } = verified;
  return {
    endpoint: verified.endpoint.name,
    tenant: verified.tenant ?? '',
    deliveryId: verified.delivery.id,
    svixTimestamp: verified.delivery.timestamp,
    rawBody: verified.rawBody,
    headers: {
      'svix-id': verified.delivery.id,
      'svix-timestamp': String(Math.floor(verified.delivery.timestamp.getTime() / 1000)),
      'content-type': single(headers['content-type']),
      'user-agent': single(headers['user-agent']),
    },
    ...fields,
  };
}

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** The endpoint and tenant of a verified request, as the telemetry labels them. */
function routeOf(verified: VerifiedWebhookRequest): DeliveryRoute {
  return { endpoint: verified.endpoint.name, tenant: verified.tenant };
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
    endpoint: verified.endpoint.name,
    ...(verified.tenant === undefined ? {} : { tenant: verified.tenant }),
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
