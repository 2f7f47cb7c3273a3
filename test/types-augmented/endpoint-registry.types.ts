/*
 * Compile-time tests of declared endpoint names, in a program of their own (this folder's
 * tsconfig.json, run by `npm run typecheck`): the augmentation below would otherwise apply to every
 * file of the repository. The library's sources are part of this program too, so they are checked
 * to compile for an application that declares its names. Each `@ts-expect-error` must flag a real
 * error, or tsc fails on the unused directive.
 */
import { Injectable } from '@nestjs/common';
import {
  OnVisiwiseEvent,
  VisiwiseEndpointName,
  VisiwiseEvent,
  VisiwiseWebhookModule,
} from 'nestjs-visiwise-webhook';

declare module 'nestjs-visiwise-webhook' {
  interface VisiwiseEndpointRegistry {
    eu: true;
    us: true;
  }
}

export const names: readonly VisiwiseEndpointName[] = ['eu', 'us'];

// @ts-expect-error: not a declared endpoint name
export const wrongName: VisiwiseEndpointName = 'ue';

@Injectable()
export class EndpointHandlers {
  @OnVisiwiseEvent('shipment.tracked', { endpoint: 'eu' })
  onEu(event: VisiwiseEvent<'shipment.tracked'>): 'eu' | 'us' {
    // The event's endpoint is typed with the declared names.
    return event.endpoint;
  }

  @OnVisiwiseEvent('shipment.tracked', { endpoint: ['eu', 'us'] })
  onBoth(event: VisiwiseEvent<'shipment.tracked'>): string {
    return event.endpoint;
  }

  // @ts-expect-error: 'ue' is not a declared endpoint name
  @OnVisiwiseEvent('shipment.tracked', { endpoint: 'ue' })
  onTypo(event: VisiwiseEvent<'shipment.tracked'>): string {
    return event.id;
  }
}

export const registration = VisiwiseWebhookModule.forRoot({
  endpoints: { eu: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, us: {} },
});

export const typoRegistration = VisiwiseWebhookModule.forRoot({
  // @ts-expect-error: the endpoints' keys are the declared names
  endpoints: { ue: {} },
});
