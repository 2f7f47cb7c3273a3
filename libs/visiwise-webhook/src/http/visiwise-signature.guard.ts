import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { VisiwiseSignatureError } from '../signature/visiwise-signature.error';
import {
  VisiwiseWebhookVerifier,
  type VerifiedVisiwiseDelivery,
} from '../signature/visiwise-webhook-verifier';
import { type MatchedEndpoint, matchEndpoint } from '../endpoints/endpoint-routes';
import { noStaticVerifierMessage, unknownEndpointMessage } from '../endpoints/endpoints.messages';
import { VisiwiseWebhookEndpoints } from '../endpoints/visiwise-webhook-endpoints.service';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import type { DeliveryRoute } from '../observability/delivery-answer.interface';
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
 * The endpoint of a refused match, as the telemetry labels it. Without its tenant: before the
 * signature verified, the tenant segment is whatever the sender wrote, and under
 * `metrics.tenantLabel` each made-up id would become a series of its own, without bound.
 */
function routeOf(matched: MatchedEndpoint | undefined): DeliveryRoute | undefined {
  return matched === undefined ? undefined : { endpoint: matched.endpoint.name, tenant: undefined };
}

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
    private readonly endpoints: VisiwiseWebhookEndpoints,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      throw new Error(unsupportedContextMessage(context.getType()));
    }
    // The request is the first argument of an HTTP context; switchToHttp() would first add three
    // closures to the context object, on every request.
    const request = context.getArgByIndex<WebhookHttpRequest>(0);
    // Only the module's own endpoint reads the result and answers for the delivery; on an
    // application's route the guard records nothing and observes nothing.
    if (!isReceivingController(context.getClass())) {
      const verifier = this.config.verifier;
      if (verifier === undefined) {
        throw new Error(noStaticVerifierMessage());
      }
      this.verify(this.precheck(request), request, verifier);
      return true;
    }
    const trace = this.telemetry.beginDelivery();
    let matched: MatchedEndpoint | undefined;
    try {
      matched = matchEndpoint(this.config, request.params);
      if (matched === undefined) {
        throw new VisiwiseWebhookException('unknown_endpoint', unknownEndpointMessage());
      }
      const rawBody = this.precheck(request);
      const { endpoint, tenant } = matched;
      const verifier =
        endpoint.verifier ?? this.endpoints.tenantVerifier(endpoint.name, tenant ?? '');
      if (!(verifier instanceof VisiwiseWebhookVerifier)) {
        const route = matched;
        // Refusals are recorded once: here for the asynchronous path, below for the other.
        return verifier
          .then((resolved) => this.accept(request, rawBody, resolved, route, trace))
          .catch((error: unknown) => {
            this.telemetry.answered(
              trace,
              refusalAnswer(error, undefined, undefined, routeOf(route)),
            );
            throw error;
          });
      }
      return this.accept(request, rawBody, verifier, matched, trace);
    } catch (error) {
      this.telemetry.answered(trace, refusalAnswer(error, undefined, undefined, routeOf(matched)));
      throw error;
    }
  }

  /**
   * Verifies with the endpoint's (or tenant's) verifier and hands the delivery to the controller;
   * a refusal is thrown to the caller, which records it.
   */
  private accept(
    request: WebhookHttpRequest,
    rawBody: Buffer,
    verifier: VisiwiseWebhookVerifier,
    matched: MatchedEndpoint,
    trace: DeliveryTrace | undefined,
  ): true {
    const delivery = this.verify(rawBody, request, verifier);
    markVerified(request, {
      delivery,
      rawBody,
      headers: request.headers,
      parsedBody: platformParsedBody(request, rawBody),
      trace,
      endpoint: matched.endpoint,
      tenant: matched.tenant,
    });
    return true;
  }

  /** Every check before the signature, cheapest first; returns the bytes to verify. */
  private precheck(request: WebhookHttpRequest): Buffer {
    // Cheapest checks first: nothing below costs a hash (or a tenant lookup) until the request
    // could be genuine.
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
    return rawBody;
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

  /**
   * Verifies the delivery with the verifier of the endpoint (or tenant) it reached; maps a
   * verification failure to a 401 with its reason.
   */
  protected verify(
    rawBody: Buffer,
    request: WebhookHttpRequest,
    verifier: VisiwiseWebhookVerifier,
  ): VerifiedVisiwiseDelivery {
    try {
      return verifier.verify(rawBody, request.headers);
    } catch (error) {
      if (error instanceof VisiwiseSignatureError) {
        throw new VisiwiseWebhookException(error.reason, error.message);
      }
      throw error;
    }
  }
}
