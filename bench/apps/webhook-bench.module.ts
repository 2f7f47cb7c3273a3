import { Injectable, Module, Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import {
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleExtras,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import type { WebhookBenchOptions } from '../lib/bench-protocol';
import { deliveryCounter } from './delivery-counter';

/**
 * The module under test, set up the way the README tells users to, with one no-op handler of
 * `shipment.tracked`: what the bench measures is the module's own cost per delivery.
 */
export function createWebhookBenchModule(
  secret: string,
  path: string,
  options: WebhookBenchOptions,
): Type<unknown> {
  @Injectable()
  class NoopShipmentHandler {
    @OnVisiwiseEvent('shipment.tracked')
    onTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
      if (event.data.trackingReference !== '') {
        deliveryCounter.handled++;
      }
    }
  }

  const registration: VisiwiseWebhookModuleOptions & VisiwiseWebhookModuleExtras = {
    ...options,
    secret,
    path,
  };

  @Module({
    imports: [EventEmitterModule.forRoot(), VisiwiseWebhookModule.forRoot(registration)],
    providers: [NoopShipmentHandler],
  })
  class WebhookBenchModule {}

  return WebhookBenchModule;
}
