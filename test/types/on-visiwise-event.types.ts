/*
 * Compile-time tests, checked by `npm run typecheck` (tsc): each `@ts-expect-error` must flag a
 * real type error, so if the decorator stopped checking handler signatures, tsc would fail on the
 * unused directive.
 */
import { Injectable } from '@nestjs/common';
import {
  AnyVisiwiseEvent,
  OnVisiwiseEvent,
  VisiwiseEvent,
  isVisiwiseEvent,
} from 'nestjs-visiwise-webhook';

declare module 'nestjs-visiwise-webhook' {
  interface VisiwiseEventMap {
    'test.vessel_departed': { vesselName: string };
  }
}

@Injectable()
export class TypedHandlers {
  @OnVisiwiseEvent('shipment.tracked')
  onTracked(event: VisiwiseEvent<'shipment.tracked'>): string {
    return event.data.trackingReference;
  }

  @OnVisiwiseEvent('test.vessel_departed')
  onAugmented(event: VisiwiseEvent<'test.vessel_departed'>): string {
    return event.data.vesselName;
  }

  @OnVisiwiseEvent(['shipment.tracked', 'test.vessel_departed'])
  onEither(
    event: VisiwiseEvent<'shipment.tracked'> | VisiwiseEvent<'test.vessel_departed'>,
  ): string {
    return event.type === 'shipment.tracked' ? event.data.trackingReference : event.data.vesselName;
  }

  @OnVisiwiseEvent('*')
  onAny(event: AnyVisiwiseEvent): string | undefined {
    return isVisiwiseEvent(event, 'shipment.tracked') ? event.data.trackingReference : undefined;
  }

  // @ts-expect-error a handler of shipment.tracked cannot declare another event's type
  @OnVisiwiseEvent('shipment.tracked')
  onWrongType(event: VisiwiseEvent<'test.vessel_departed'>): string {
    return event.data.vesselName;
  }

  // @ts-expect-error a list handler must accept every listed type
  @OnVisiwiseEvent(['shipment.tracked', 'test.vessel_departed'])
  onTooNarrow(event: VisiwiseEvent<'shipment.tracked'>): string {
    return event.data.trackingReference;
  }

  // @ts-expect-error a wildcard handler receives unknown types too, not only shipment.tracked
  @OnVisiwiseEvent('*')
  onWildcardTooNarrow(event: VisiwiseEvent<'shipment.tracked'>): string {
    return event.data.trackingReference;
  }

  // @ts-expect-error a misspelt event type is not a known type
  @OnVisiwiseEvent('shipment.trackd')
  onTypo(event: AnyVisiwiseEvent): string {
    return event.id;
  }
}

export function readsTypedFields(event: VisiwiseEvent<'shipment.tracked'>): unknown[] {
  const tracking = event.data.containerTracking;
  return [
    event.id,
    event.receivedAt.toISOString(),
    tracking?.trackStatus?.status,
    tracking?.arrivalTime?.isActual,
    event.data.blTracking?.containers?.map((container) => container.number),
    // Unknown fields are kept and typed as unknown.
    event.data['someFutureField'],
  ];
}
