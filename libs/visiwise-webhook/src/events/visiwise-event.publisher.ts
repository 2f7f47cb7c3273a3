import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import {
  ANY_EVENT_NAME,
  endpointAnyEventNameFor,
  endpointEventNameFor,
  eventNameFor,
} from './events.constants';
import { missingEventEmitterMessage } from './events.messages';
import type { AnyVisiwiseEvent } from './visiwise-event.interface';
import { VISIWISE_DELIVERY_FAILED_EVENT } from '../delivery/delivery.constants';
import type { VisiwiseDeliveryFailure } from '../delivery/visiwise-delivery-failure.interface';

/** What happened when an event was handed to its handlers. */
export interface VisiwisePublishOutcome {
  /** How many handlers were called (type-specific and wildcard). */
  readonly handlerCount: number;
  /** Errors thrown or rejected by handlers, in handler order; empty when all succeeded. */
  readonly errors: readonly unknown[];
}

type Listener = (...args: unknown[]) => unknown;

/** The emitter names an event of one type from one endpoint is handed out under. */
interface EventNames {
  readonly typed: string;
  readonly endpointTyped: string;
  readonly endpointAny: string;
}

// Event types whose emitter name is remembered (see VisiwiseEventPublisher.eventName).
const MAX_REMEMBERED_NAMES = 1000;

/**
 * Hands an event to its `@OnVisiwiseEvent` handlers through the application's EventEmitter2:
 * first the handlers of its type, then the wildcard ones. Every handler is awaited, even when
 * another fails, so that a delivery is answered only once all of them have finished.
 */
@Injectable()
export class VisiwiseEventPublisher implements OnModuleInit {
  // endpoint -> type -> the emitter names its handlers listen on
  private readonly names = new Map<string, Map<string, EventNames>>();

  constructor(@Optional() private readonly emitter?: EventEmitter2) {}

  onModuleInit(): void {
    if (!this.emitter) {
      throw new VisiwiseConfigurationError(missingEventEmitterMessage());
    }
  }

  /**
   * How many handlers (type-specific and wildcard, for every endpoint or for this one) an event of
   * this type from this endpoint reaches in this process.
   */
  handlerCount(type: string, endpoint: string): number {
    const emitter = this.emitter;
    return emitter
      ? emitter.listeners(eventNameFor(type)).length +
          emitter.listeners(ANY_EVENT_NAME).length +
          emitter.listeners(endpointEventNameFor(endpoint, type)).length +
          emitter.listeners(endpointAnyEventNameFor(endpoint)).length
      : 0;
  }

  /**
   * Whether a handler subscribes to this type by name, from every endpoint (wildcard handlers and
   * endpoint-filtered ones not counted: their names are not looked up per type).
   */
  hasTypedHandler(type: string): boolean {
    return (this.emitter?.listeners(eventNameFor(type)).length ?? 0) > 0;
  }

  /**
   * Calls every handler of the event and reports which failed. Never rejects (once the module
   * initialised). Not `async`: every delivery comes through here, and an async function wrapping
   * the promise below would add its own promise and turns of the microtask queue.
   */
  publish(event: AnyVisiwiseEvent): Promise<VisiwisePublishOutcome> {
    const emitter = this.emitter;
    if (!emitter) {
      return Promise.reject(new VisiwiseConfigurationError(missingEventEmitterMessage()));
    }
    // EventEmitter2.emitAsync would reject on the first failure while other handlers still run;
    // calling the registered listeners ourselves lets us wait for all of them.
    const names = this.eventNames(event.endpoint, event.type);
    const typed = emitter.listeners(names.typed) as Listener[];
    const any = emitter.listeners(ANY_EVENT_NAME) as Listener[];
    const endpointTyped = emitter.listeners(names.endpointTyped) as Listener[];
    const endpointAny = emitter.listeners(names.endpointAny) as Listener[];
    const listeners =
      any.length === 0 && endpointTyped.length === 0 && endpointAny.length === 0
        ? typed
        : [...typed, ...endpointTyped, ...any, ...endpointAny];
    const handlerCount = listeners.length;
    return callAll(emitter, listeners, event).then((errors) => ({ handlerCount, errors }));
  }

  // The same strings for an endpoint and type every time: the emitter looks listeners up by name,
  // and names built per delivery would first be looked up in V8's string table. Bounded: types
  // come from the sender.
  private eventNames(endpoint: string, type: string): EventNames {
    let byType = this.names.get(endpoint);
    if (byType === undefined) {
      byType = new Map();
      this.names.set(endpoint, byType);
    }
    let names = byType.get(type);
    if (names === undefined) {
      names = {
        typed: eventNameFor(type),
        endpointTyped: endpointEventNameFor(endpoint, type),
        endpointAny: endpointAnyEventNameFor(endpoint),
      };
      if (byType.size < MAX_REMEMBERED_NAMES) {
        byType.set(type, names);
      }
    }
    return names;
  }

  /**
   * Tells the application that an acknowledged event could not be handled
   * (VISIWISE_DELIVERY_FAILED_EVENT). Never rejects: a failing listener is reported in the result.
   */
  publishFailure(failure: VisiwiseDeliveryFailure): Promise<readonly unknown[]> {
    const emitter = this.emitter;
    if (!emitter) {
      return Promise.resolve(NO_ERRORS);
    }
    return callAll(
      emitter,
      emitter.listeners(VISIWISE_DELIVERY_FAILED_EVENT) as Listener[],
      failure,
    );
  }
}

// What a delivery whose handlers all succeeded reports: one shared empty list, not one per delivery.
const NO_ERRORS: readonly unknown[] = Object.freeze([]);
const noErrors = (): readonly unknown[] => NO_ERRORS;
const failedWith = (reason: unknown): readonly unknown[] => [reason];

/** Calls every listener, waits for all of them, and resolves what they threw or rejected with. */
function callAll(
  emitter: EventEmitter2,
  listeners: readonly Listener[],
  payload: unknown,
): Promise<readonly unknown[]> {
  if (listeners.length === 1 && listeners[0]) {
    // The usual case, one handler for the type: its result is waited for as it is, with one
    // `then` (EventEmitter2's Nest wrapper makes every handler return a promise).
    try {
      const result: unknown = listeners[0].call(emitter, payload);
      return isThenable(result)
        ? Promise.resolve(result).then(noErrors, failedWith)
        : Promise.resolve(NO_ERRORS);
    } catch (reason) {
      return Promise.resolve(failedWith(reason));
    }
  }
  return callEach(emitter, listeners, payload);
}

/** {@link callAll} for several listeners. */
async function callEach(
  emitter: EventEmitter2,
  listeners: readonly Listener[],
  payload: unknown,
): Promise<readonly unknown[]> {
  // Every listener is called now, in order; only the promises they return are waited for, so a
  // delivery whose handlers are synchronous awaits nothing here.
  const failures: { readonly index: number; readonly reason: unknown }[] = [];
  const waiting: Promise<void>[] = [];
  listeners.forEach((listener, index) => {
    try {
      const result: unknown = listener.call(emitter, payload);
      if (isThenable(result)) {
        waiting.push(
          Promise.resolve(result).then(
            () => undefined,
            (reason: unknown) => {
              failures.push({ index, reason });
            },
          ),
        );
      }
    } catch (reason) {
      failures.push({ index, reason });
    }
  });
  if (waiting.length > 0) {
    await Promise.all(waiting);
  }
  if (failures.length === 0) {
    return NO_ERRORS;
  }
  // In handler order, whichever failed first.
  return failures.sort((a, b) => a.index - b.index).map((failure) => failure.reason);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
