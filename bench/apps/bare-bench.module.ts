import {
  CanActivate,
  Controller,
  HttpCode,
  HttpStatus,
  Module,
  Post,
  Type,
  UseGuards,
} from '@nestjs/common';
import { deliveryCounter } from './delivery-counter';

/**
 * The baseline: a plain Nest POST route on the same path, in an app created with `rawBody: true`
 * (so the platform parses the JSON and keeps the raw bytes, as it does for the module). It answers
 * what the module answers and does nothing else: no verification, no event. With `guards`, the
 * same route behind them (the `guard` scenario: the bare route plus a minimal verifying guard).
 */
export function createBareBenchModule(
  path: string,
  guards: readonly Type<CanActivate>[] = [],
): Type<unknown> {
  @Controller(path)
  class BareWebhookController {
    @Post()
    @HttpCode(HttpStatus.OK)
    receive(): { status: 'received' } {
      deliveryCounter.handled++;
      return { status: 'received' };
    }
  }

  if (guards.length > 0) {
    UseGuards(...guards)(BareWebhookController);
  }

  @Module({ controllers: [BareWebhookController] })
  class BareBenchModule {}

  return BareBenchModule;
}
