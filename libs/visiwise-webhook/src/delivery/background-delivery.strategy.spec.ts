import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { eventNameFor } from '../events/events.constants';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { buildShipmentTracked, toVisiwiseEvent } from '../testing';
import { BackgroundDeliveryStrategy } from './background-delivery.strategy';
import { backgroundFailedLogMessage } from './delivery.messages';
import { VisiwiseTelemetry } from '../observability/visiwise-telemetry';
import { MemoryDeadLetterStore } from './memory-dead-letter.store';
import { MemoryIdempotencyStore } from './memory-idempotency.store';

class RecordingLogger extends Logger {
  readonly errors: { message: unknown; stack: unknown }[] = [];
  override error(message: unknown, stack?: unknown): void {
    this.errors.push({ message, stack });
  }
}

// A publisher whose failure announcement itself fails: the one step after the handlers that
// could still throw.
class FailingAnnouncementPublisher extends VisiwiseEventPublisher {
  override publishFailure(): Promise<readonly unknown[]> {
    return Promise.reject(new Error('announcement failed'));
  }
}

const event: AnyVisiwiseEvent = toVisiwiseEvent(buildShipmentTracked(), {
  id: 'msg_background_escape',
});

describe('BackgroundDeliveryStrategy', () => {
  it('logs what escapes the handling of an acknowledged event, and still lets shutdown finish', async () => {
    const emitter = new EventEmitter2();
    emitter.on(eventNameFor('shipment.tracked'), () => {
      throw new Error('handler failed');
    });
    const logger = new RecordingLogger();
    const strategy = new BackgroundDeliveryStrategy(
      {
        store: new MemoryIdempotencyStore(),
        publisher: new FailingAnnouncementPublisher(emitter),
        telemetry: VisiwiseTelemetry.disabled(),
        leaseMs: 60_000,
        ttlMs: 60_000,
        onStoreError: () => undefined,
        inRedisOutage: () => false,
      },
      logger,
      new MemoryDeadLetterStore(10),
    );

    await expect(strategy.deliver(event)).resolves.toBe('received');
    // drain() resolves once the background work has left the in-flight count.
    await strategy.drain(5_000);

    const message = backgroundFailedLogMessage(event.id, event.type);
    const logged = logger.errors.filter((entry) => entry.message === message);
    expect(logged.map((entry) => String(entry.stack))).toEqual([
      expect.stringContaining('handler failed'),
      expect.stringContaining('announcement failed'),
    ]);
  });
});
