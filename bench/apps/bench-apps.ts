/*
 * The applications under test, one factory each: the bare route, the minimal verifying guard in
 * front of it (the reference), and the module with one no-op handler.
 */
import {
  CanActivate,
  Controller,
  ExecutionContext,
  HttpCode,
  HttpStatus,
  Injectable,
  Module,
  Post,
  Type,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleExtras,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import type { WebhookBenchOptions } from '../lib/results';

/** Deliveries that reached the application's code in this server process (bare route or handler). */
export const deliveryCounter = { handled: 0 };

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

const TOLERANCE_SECONDS = 5 * 60;

interface SignedRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawBody?: Buffer;
}

/**
 * A reference point, not the package: the straightforward Svix-verifying guard an application
 * would write in a few lines (the one issue 5 quotes at ~0.89x / ~0.69x of the bare route). Lower
 * case headers, a timestamp window, one HMAC over `id.timestamp.body`, a constant-time compare
 * with each `v1,` signature. No content-type or size checks, no typed errors, no deduplication,
 * parsing or events: whatever the module costs beyond this is the price of those.
 */
export function createMinimalVerifyingGuard(secret: string): Type<CanActivate> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

  class MinimalVerifyingGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const { headers, rawBody } = context.switchToHttp().getRequest<SignedRequest>();
      const id = headers['svix-id'];
      const timestamp = headers['svix-timestamp'];
      const signatures = headers['svix-signature'];
      if (
        typeof id !== 'string' ||
        typeof timestamp !== 'string' ||
        typeof signatures !== 'string' ||
        !rawBody
      ) {
        throw new UnauthorizedException();
      }
      if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) {
        throw new UnauthorizedException();
      }
      const expected = createHmac('sha256', key)
        .update(`${id}.${timestamp}.`)
        .update(rawBody)
        .digest();
      for (const entry of signatures.split(' ')) {
        if (!entry.startsWith('v1,')) {
          continue;
        }
        const given = Buffer.from(entry.slice(3), 'base64');
        if (given.length === expected.length && timingSafeEqual(given, expected)) {
          return true;
        }
      }
      throw new UnauthorizedException();
    }
  }
  return MinimalVerifyingGuard;
}

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

/**
 * The sample app (apps/sample, as built by `npm run build:sample`) with one more no-op handler that
 * counts deliveries for the bench's windows. It reads its configuration from the environment the
 * scenario gives the server process (secret, DATABASE_URL, ...).
 */
export function createSampleBenchModule(sampleAppModule: Type<unknown>): Type<unknown> {
  @Injectable()
  class DeliveryCounter {
    @OnVisiwiseEvent('shipment.tracked')
    onTracked(): void {
      deliveryCounter.handled++;
    }
  }

  @Module({ imports: [sampleAppModule], providers: [DeliveryCounter] })
  class SampleBenchModule {}

  return SampleBenchModule;
}
