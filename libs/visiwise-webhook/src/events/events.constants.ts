/** EventEmitter2 name prefix of typed events: `visiwise.shipment.tracked`. */
export const EVENT_NAME_PREFIX = 'visiwise.';

/**
 * EventEmitter2 name every event is also emitted under, for `@OnVisiwiseEvent('*')`. It contains
 * a ':' (never allowed in an event type) so no type can collide with it, and no '*' so it works
 * the same whether or not the app enabled EventEmitter2's wildcard mode.
 */
export const ANY_EVENT_NAME = 'visiwise:any';

/** The wildcard accepted by `@OnVisiwiseEvent`. */
export const WILDCARD = '*';

/**
 * Event types allowed to become emitter event names: no '*' (an emitted wildcard segment would
 * reach every listener in EventEmitter2's wildcard mode), no ':' , no spaces, bounded length.
 */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const eventNameFor = (type: string): string => `${EVENT_NAME_PREFIX}${type}`;

/**
 * EventEmitter2 name of the handlers of one type that take it from one endpoint only
 * (`@OnVisiwiseEvent(type, { endpoint })`). Endpoint names have no ':', types neither.
 */
export const endpointEventNameFor = (endpoint: string, type: string): string =>
  `visiwise:${endpoint}:${type}`;

/** EventEmitter2 name of wildcard handlers that take every event of one endpoint only. */
export const endpointAnyEventNameFor = (endpoint: string): string => `visiwise:any:${endpoint}`;
