import { Controller, HttpCode, HttpStatus, Post, Req, Type, UseGuards } from '@nestjs/common';
import type { VisiwiseAckStatus } from '../delivery/delivery-strategy.interface';
import { VisiwiseWebhookReceiver } from '../delivery/visiwise-webhook.receiver';
import { ENDPOINT_ROUTES } from '../endpoints/endpoint-routes';
import { VisiwiseSignatureGuard } from './visiwise-signature.guard';
import { receivesVerifiedDelivery, takeVerified } from './webhook-request';

/**
 * Body of every acknowledged delivery: `received` the first time, `duplicate` for a delivery id
 * that was handled already (Svix's retry of a delivery whose answer it did not get).
 */
export interface VisiwiseWebhookAck {
  readonly status: VisiwiseAckStatus;
}

/**
 * Builds the endpoint's controller class for one route. A fresh class per registration (rather
 * than rewriting the route metadata of one shared class) keeps two registrations from silently
 * overwriting each other's path.
 */
export function createVisiwiseWebhookController(
  path: string,
  decorators: readonly ClassDecorator[] = [],
): Type<unknown> {
  @Controller(path)
  @UseGuards(VisiwiseSignatureGuard)
  class VisiwiseWebhookController {
    constructor(private readonly receiver: VisiwiseWebhookReceiver) {}

    // Svix treats any 2xx as success; 200 (not Nest's default 201 for POST) is what it documents.
    // The path itself, and the segments of named endpoints and tenants (see ENDPOINT_ROUTES).
    @Post([...ENDPOINT_ROUTES])
    @HttpCode(HttpStatus.OK)
    async receive(@Req() request: object): Promise<VisiwiseWebhookAck> {
      const verified = takeVerified(request);
      if (!verified) {
        // Unreachable while the guard is in place; refuse rather than trust an unverified body.
        throw new Error('VisiwiseWebhookController reached without a verified delivery');
      }
      return { status: await this.receiver.receive(verified) };
    }
  }
  receivesVerifiedDelivery(VisiwiseWebhookController);
  // Applied like stacked class decorators, so the app's guards read their metadata as usual.
  for (const decorate of [...decorators].reverse()) {
    decorate(VisiwiseWebhookController);
  }
  return VisiwiseWebhookController;
}
