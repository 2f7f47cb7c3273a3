import { OnEvent } from '@nestjs/event-emitter';
import { ANY_EVENT_NAME, EVENT_TYPE_PATTERN, WILDCARD, eventNameFor } from './events.constants';
import { invalidHandlerTypeMessage } from './events.messages';
import type {
  AnyVisiwiseEvent,
  VisiwiseEventOf,
  VisiwiseEventType,
} from './visiwise-event.interface';

/** What `@OnVisiwiseEvent` accepts: a known event type, or `'*'` for every event. */
export type VisiwiseEventSelector = VisiwiseEventType | '*';

/** The event a handler of the given selector(s) receives. */
export type VisiwiseHandlerEvent<K extends VisiwiseEventSelector> = K extends '*'
  ? AnyVisiwiseEvent
  : VisiwiseEventOf<Exclude<K, '*'>>;

/** The method decorator returned by {@link OnVisiwiseEvent}; it checks the handler's signature. */
export type VisiwiseHandlerDecorator<K extends VisiwiseEventSelector> = <
  T extends (event: VisiwiseHandlerEvent<K>) => unknown,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;

/**
 * Marks a provider method as a handler of Visiwise events:
 *
 * ```ts
 * @OnVisiwiseEvent('shipment.tracked')
 * async onTracked(event: VisiwiseEvent<'shipment.tracked'>) { ... }
 * ```
 *
 * Pass one type, a list, or `'*'` for every event (including types this package does not know).
 * The parameter type is checked against the selected type(s): a handler declared for another
 * event does not compile. Handlers are awaited; a handler that throws or rejects makes the
 * delivery fail (HTTP 500) so Visiwise retries it. Unlike a plain `@OnEvent`, errors are never
 * suppressed. Needs `EventEmitterModule.forRoot()` in the application.
 */
export function OnVisiwiseEvent<const K extends VisiwiseEventSelector>(
  types: K | readonly K[],
): VisiwiseHandlerDecorator<K> {
  const selectors: readonly string[] = Array.isArray(types) ? types : [types as K];
  const names = selectors.map((type) => {
    if (type === WILDCARD) {
      return ANY_EVENT_NAME;
    }
    // Checked at run time too: the types do not reach JavaScript callers or `as` casts.
    if (!EVENT_TYPE_PATTERN.test(type)) {
      throw new TypeError(invalidHandlerTypeMessage(type));
    }
    return eventNameFor(type);
  });
  // @nestjs/event-emitter suppresses handler errors by default; an event we could not handle must
  // fail the delivery instead, so that Visiwise retries it.
  const decorators = [...new Set(names)].map((name) => OnEvent(name, { suppressErrors: false }));
  return (target, propertyKey, descriptor) => {
    for (const decorate of decorators) {
      decorate(target, propertyKey, descriptor);
    }
  };
}
