import { EventEmitter2 } from '@nestjs/event-emitter';
import { buildShipmentTracked, toVisiwiseEvent } from '../testing';
import { ANY_EVENT_NAME, eventNameFor } from './events.constants';
import type { AnyVisiwiseEvent } from './visiwise-event.interface';
import { VisiwiseEventPublisher } from './visiwise-event.publisher';

const event: AnyVisiwiseEvent = toVisiwiseEvent(buildShipmentTracked(), { id: 'msg_publisher' });

describe('VisiwiseEventPublisher.publish', () => {
  it('calls every handler, waits for the asynchronous ones, and reports failures in handler order', async () => {
    const emitter = new EventEmitter2();
    const calls: string[] = [];
    let slowFinished = false;
    emitter.on(eventNameFor('shipment.tracked'), () => {
      calls.push('sync ok');
    });
    // Handlers return promises: listeners are typed as void-returning, hence the casts.
    emitter.on(eventNameFor('shipment.tracked'), (async () => {
      calls.push('async rejects later');
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('first (rejected late)');
    }) as () => void);
    emitter.on(eventNameFor('shipment.tracked'), () => {
      calls.push('sync throws');
      throw new Error('second (thrown at once)');
    });
    emitter.on(ANY_EVENT_NAME, (async () => {
      calls.push('wildcard async ok');
      await new Promise((resolve) => setTimeout(resolve, 10));
      slowFinished = true;
    }) as () => void);

    const outcome = await new VisiwiseEventPublisher(emitter).publish(event);

    expect(calls).toEqual(['sync ok', 'async rejects later', 'sync throws', 'wildcard async ok']);
    expect(slowFinished).toBe(true);
    expect(outcome.handlerCount).toBe(4);
    expect(outcome.errors.map((error) => (error as Error).message)).toEqual([
      'first (rejected late)',
      'second (thrown at once)',
    ]);
  });

  it('reports no errors when synchronous handlers succeed', async () => {
    const emitter = new EventEmitter2();
    const seen: unknown[] = [];
    emitter.on(eventNameFor('shipment.tracked'), (received: unknown) => {
      seen.push(received);
    });
    const outcome = await new VisiwiseEventPublisher(emitter).publish(event);
    expect(outcome).toEqual({ handlerCount: 1, errors: [] });
    expect(seen).toEqual([event]);
  });

  it('finds the handlers present at each delivery, for any number of event types', async () => {
    const emitter = new EventEmitter2();
    const publisher = new VisiwiseEventPublisher(emitter);
    const seen: string[] = [];
    // More types than the publisher remembers emitter names for (1,000).
    const types = Array.from({ length: 1100 }, (_, index) => `custom.type_${String(index)}`);
    for (const type of types) {
      emitter.on(eventNameFor(type), (received: AnyVisiwiseEvent) => {
        seen.push(received.type);
      });
    }
    for (const type of types) {
      await publisher.publish({ ...event, type });
    }
    expect(seen).toEqual(types);

    // A handler added after its type was first delivered is called from then on.
    const late: unknown[] = [];
    emitter.on(eventNameFor('custom.type_0'), (received: unknown) => late.push(received));
    const lateEvent = { ...event, type: 'custom.type_0' } as AnyVisiwiseEvent;
    expect(await publisher.publish(lateEvent)).toEqual({ handlerCount: 2, errors: [] });
    expect(late).toEqual([lateEvent]);
  });

  describe('with a single handler', () => {
    it('waits for its promise and reports its rejection', async () => {
      const emitter = new EventEmitter2();
      let finished = false;
      emitter.on(eventNameFor('shipment.tracked'), (async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        finished = true;
        throw new Error('rejected');
      }) as () => void);
      const outcome = await new VisiwiseEventPublisher(emitter).publish(event);
      expect(finished).toBe(true);
      expect(outcome.handlerCount).toBe(1);
      expect(outcome.errors.map((error) => (error as Error).message)).toEqual(['rejected']);
    });

    it('reports what it throws', async () => {
      const emitter = new EventEmitter2();
      emitter.on(ANY_EVENT_NAME, () => {
        throw new Error('thrown');
      });
      const outcome = await new VisiwiseEventPublisher(emitter).publish(event);
      expect(outcome.errors.map((error) => (error as Error).message)).toEqual(['thrown']);
    });

    it('reports nothing when its promise resolves', async () => {
      const emitter = new EventEmitter2();
      emitter.on(eventNameFor('shipment.tracked'), (() =>
        Promise.resolve('ignored')) as () => void);
      await expect(new VisiwiseEventPublisher(emitter).publish(event)).resolves.toEqual({
        handlerCount: 1,
        errors: [],
      });
    });
  });
});
