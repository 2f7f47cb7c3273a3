import { Controller, HttpCode, HttpStatus, Module, Post, Type } from '@nestjs/common';
import { deliveryCounter } from './delivery-counter';

/**
 * The baseline: a plain Nest POST route on the same path, in an app created with `rawBody: true`
 * (so the platform parses the JSON and keeps the raw bytes, as it does for the module). It answers
 * what the module answers and does nothing else: no verification, no event.
 */
export function createBareBenchModule(path: string): Type<unknown> {
  @Controller(path)
  class BareWebhookController {
    @Post()
    @HttpCode(HttpStatus.OK)
    receive(): { status: 'received' } {
      deliveryCounter.handled++;
      return { status: 'received' };
    }
  }

  @Module({ controllers: [BareWebhookController] })
  class BareBenchModule {}

  return BareBenchModule;
}
