import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { VisiwiseSignatureError } from '../signature/visiwise-signature.error';
import type { VerifiedVisiwiseDelivery } from '../signature/visiwise-webhook-verifier';
import { VISIWISE_WEBHOOK_CONFIG, LOGGER_CONTEXT } from '../visiwise-webhook.constants';
import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';
import {
  ipNotAllowedMessage,
  payloadTooLargeMessage,
  rawBodyUnavailableLogMessage,
  rawBodyUnavailableResponseMessage,
  unsupportedContextMessage,
  unsupportedMediaTypeMessage,
} from './http.messages';
import { VisiwiseWebhookException, refusalAnswer } from './visiwise-webhook.exception';
import { VisiwiseTelemetry } from '../observability/visiwise-telemetry';
import {
  WebhookHttpRequest,
  announcesBody,
  declaredLength,
  isJsonContentType,
  isReceivingController,
  markVerified,
  platformParsedBody,
} from './webhook-request';

/**
 * Lets a request through only if it is an authentic, fresh Visiwise delivery: JSON content type,
 * valid svix-* headers, timestamp within tolerance, and a signature over the raw bytes made with
 * a configured secret; optionally an allowed source address and a body size limit. Runs before
 * the module reads the event from the body; refusals are {@link VisiwiseWebhookException}s (403 /
 * 415 / 413 / 401, or 500 when the app does not keep raw bodies).
 *
 * The module's own endpoint uses it; it can also protect an application's own route
 * (`@UseGuards(VisiwiseSignatureGuard)`) in a module that imports `VisiwiseWebhookModule`.
 */
@Injectable()
export class VisiwiseSignatureGuard implements CanActivate {
  protected readonly logger = new Logger(LOGGER_CONTEXT);
  private rawBodyProblemLogged = false;

  /** @internal Created by Nest's injector. */
  constructor(
    @Inject(VISIWISE_WEBHOOK_CONFIG) private readonly config: VisiwiseWebhookConfig,
    private readonly telemetry: VisiwiseTelemetry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') {
      throw new Error(unsupportedContextMessage(context.getType()));
    }
    // The request is the first argument of an HTTP context; switchToHttp() would first add three
    // closures to the context object, on every request.
    const request = context.getArgByIndex<WebhookHttpRequest>(0);
    // Only the module's own endpoint reads the result and answers for the delivery; on an
    // application's route the guard records nothing and observes nothing.
    if (!isReceivingController(context.getClass())) {
      this.check(request);
      return true;
    }
    const trace = this.telemetry.beginDelivery();
    let verified;
    try {
      verified = this.check(request);
    } catch (error) {
      this.telemetry.answered(trace, refusalAnswer(error, undefined, undefined));
      throw error;
    }
    markVerified(request, {
      delivery: verified.delivery,
      rawBody: verified.rawBody,
      headers: request.headers,
      parsedBody: platformParsedBody(request, verified.rawBody),
      trace,
    });
    return true;
  }

  /** Every check of a delivery, cheapest first; returns the verified delivery and its bytes. */
  private check(request: WebhookHttpRequest): {
    readonly delivery: VerifiedVisiwiseDelivery;
    readonly rawBody: Buffer;
  } {
    // Cheapest checks first: nothing below costs a hash until the request could be genuine.
    const { allowList, maxBodyBytes } = this.config.http;
    if (allowList && !allowList.allows(request.ip)) {
      throw new VisiwiseWebhookException('ip_not_allowed', ipNotAllowedMessage());
    }
    if (!isJsonContentType(request.headers)) {
      throw new VisiwiseWebhookException('unsupported_media_type', unsupportedMediaTypeMessage());
    }
    if ((declaredLength(request.headers) ?? 0) > maxBodyBytes) {
      throw new VisiwiseWebhookException('payload_too_large', payloadTooLargeMessage(maxBodyBytes));
    }
    const rawBody = this.getRawBody(request);
    if (rawBody.length > maxBodyBytes) {
      throw new VisiwiseWebhookException('payload_too_large', payloadTooLargeMessage(maxBodyBytes));
    }
    return { delivery: this.verify(rawBody, request), rawBody };
  }

  /** The exact bytes received. Override to read them from elsewhere (a custom body parser). */
  protected getRawBody(request: WebhookHttpRequest): Buffer {
    if (Buffer.isBuffer(request.rawBody)) {
      return request.rawBody;
    }
    if (!announcesBody(request.headers)) {
      // A body-less request never reaches Nest's raw-body hook; it is simply empty.
      return Buffer.alloc(0);
    }
    if (!this.rawBodyProblemLogged) {
      this.rawBodyProblemLogged = true;
      this.logger.error(rawBodyUnavailableLogMessage());
    }
    throw new VisiwiseWebhookException('raw_body_unavailable', rawBodyUnavailableResponseMessage());
  }

  /** Verifies the delivery; maps a verification failure to a 401 with its reason. */
  protected verify(rawBody: Buffer, request: WebhookHttpRequest): VerifiedVisiwiseDelivery {
    try {
      return this.config.verifier.verify(rawBody, request.headers);
    } catch (error) {
      if (error instanceof VisiwiseSignatureError) {
        throw new VisiwiseWebhookException(error.reason, error.message);
      }
      throw error;
    }
  }
}
