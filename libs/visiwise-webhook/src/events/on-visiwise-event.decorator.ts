import { OnEvent } from '@nestjs/event-emitter';
import type { VisiwiseEndpointName } from '../visiwise-webhook-options.interface';
import {
  ANY_EVENT_NAME,
  EVENT_TYPE_PATTERN,
  WILDCARD,
  endpointAnyEventNameFor,
  endpointEventNameFor,
  eventNameFor,
} from './events.constants';
import { invalidHandlerEndpointMessage, invalidHandlerTypeMessage } from './events.messages';
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

/** Options of {@link OnVisiwiseEvent}. */
export interface VisiwiseHandlerOptions {
  /**
   * Only events received by this endpoint (or these endpoints). Typed from
   * `VisiwiseEndpointRegistry` when the application declares its endpoint names there.
   * @default every endpoint
   */
  endpoint?: VisiwiseEndpointName | readonly VisiwiseEndpointName[];
}

const ENDPOINT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

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
 *
 * With several endpoints, a handler receives the events of every endpoint unless it names some:
 * `@OnVisiwiseEvent('shipment.tracked', { endpoint: 'eu' })` (or a list). `event.endpoint` says
 * which endpoint received an event.
 */
export function OnVisiwiseEvent<const K extends VisiwiseEventSelector>(
  types: K | readonly K[],
  options: VisiwiseHandlerOptions = {},
): VisiwiseHandlerDecorator<K> {
  const selectors: readonly string[] = Array.isArray(types) ? types : [types as K];
  const endpoints = endpointsOf(options.endpoint);
  const names = selectors.flatMap((type) => {
    if (type !== WILDCARD && !EVENT_TYPE_PATTERN.test(type)) {
      // Checked at run time too: the types do not reach JavaScript callers or `as` casts.
      throw new TypeError(invalidHandlerTypeMessage(type));
    }
    if (endpoints === undefined) {
      return [type === WILDCARD ? ANY_EVENT_NAME : eventNameFor(type)];
    }
    return endpoints.map((endpoint) =>
      type === WILDCARD ? endpointAnyEventNameFor(endpoint) : endpointEventNameFor(endpoint, type),
    );
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

/** The endpoints a handler is limited to, validated; undefined for every endpoint. */
function endpointsOf(option: VisiwiseHandlerOptions['endpoint']): readonly string[] | undefined {
  if (option === undefined) {
    return undefined;
  }
  const endpoints: readonly unknown[] = Array.isArray(option) ? option : [option];
  if (endpoints.length === 0) {
    throw new TypeError(invalidHandlerEndpointMessage('[]'));
  }
  return endpoints.map((endpoint) => {
    if (typeof endpoint !== 'string' || !ENDPOINT_NAME_PATTERN.test(endpoint)) {
      throw new TypeError(invalidHandlerEndpointMessage(String(endpoint)));
    }
    return endpoint;
  });
}
