import { parse as parseJsonSafely, scan as removePrototypeKeys } from 'secure-json-parse';
import { EVENT_TYPE_PATTERN } from './events.constants';
import { inspectJsonValue, jsonDepthExceeds } from './json-depth';
import type { BuiltInVisiwiseEventType } from './visiwise-event.interface';
import {
  invalidEnvelopeMessage,
  invalidEventTypeMessage,
  invalidJsonMessage,
  jsonTooDeepMessage,
  payloadFieldProblem,
} from './events.messages';

/**
 * Why a verified body could not become an event (`invalid_payload` only with
 * `payloadValidation: 'strict'`: otherwise a payload that fails its type's checks is still an
 * event, with its issues listed).
 */
export type VisiwiseEnvelopeProblem =
  'invalid_json' | 'json_too_deep' | 'invalid_envelope' | 'invalid_event_type' | 'invalid_payload';

/** The problems that leave no usable envelope: such a delivery is kept as unparseable. */
export type VisiwiseUnparseableReason = Exclude<VisiwiseEnvelopeProblem, 'invalid_payload'>;

/**
 * What a `readEnvelope` option returns for a body the built-in reader could not use: the event's
 * type and payload, and its time if the body has one.
 */
export interface VisiwiseEnvelopeInput {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly timestamp?: string | number | Date;
}

/** Options of {@link parseVisiwiseEnvelope}. */
export interface EnvelopeParseOptions {
  /** Deepest nesting of objects/arrays accepted. */
  readonly maxDepth: number;
}

/** Visiwise payloads nest about 7 levels; far deeper is hostile or broken. */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/**
 * A body that parsed into `{ type, data }`, with the envelope timestamp if it had one and what the
 * payload checks of its type found (empty when clean).
 */
export interface VisiwiseEnvelope {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly timestamp: Date | undefined;
  readonly issues: readonly string[];
}

export type EnvelopeParseResult =
  | { readonly ok: true; readonly envelope: VisiwiseEnvelope }
  | { readonly ok: false; readonly problem: VisiwiseUnparseableReason; readonly message: string };

type PayloadCheck = (data: Record<string, unknown>) => string | undefined;

/** Shared by every clean event: most deliveries have no issue, and need no array of their own. */
export const NO_ISSUES: readonly string[] = Object.freeze([]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a path of nested objects, or undefined when any step is not an object. */
function valueAt(data: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = data;
  for (const key of path) {
    if (!isObject(value)) {
      return undefined;
    }
    value = value[key];
  }
  return value;
}

const requireNonEmptyString =
  (...path: string[]): PayloadCheck =>
  (data) => {
    const value = valueAt(data, path);
    return typeof value === 'string' && value !== ''
      ? undefined
      : payloadFieldProblem(path.join('.'), 'a non-empty string');
  };

const requireObject =
  (...path: string[]): PayloadCheck =>
  (data) =>
    isObject(valueAt(data, path)) ? undefined : payloadFieldProblem(path.join('.'), 'an object');

/** Every check of a type; a payload's issues are the problems they find. */
const allOf = (...checks: PayloadCheck[]): readonly PayloadCheck[] => checks;

/*
 * Lenient checks of known payloads: only what a handler cannot work without (which shipment, which
 * container, the new value). The payload schema is not published (docs/EVENTS.md), so anything
 * stricter would turn a schema surprise into refused deliveries.
 */
// Keyed by every built-in type, so adding one without a check fails to compile. Types users add to
// VisiwiseEventMap by declaration merging are not checked here: their handlers own them.
const PAYLOAD_CHECKS: { readonly [K in BuiltInVisiwiseEventType]: readonly PayloadCheck[] } = {
  'shipment.tracked': allOf(requireNonEmptyString('trackingReference')),
  'shipment.tracking_failed': allOf(requireNonEmptyString('shipment', 'trackingReference')),
  'shipment.arrival_time_changed': allOf(
    requireNonEmptyString('shipment', 'trackingReference'),
    requireObject('current'),
  ),
  'shipment.container_movement': allOf(
    requireNonEmptyString('shipment', 'trackingReference'),
    requireNonEmptyString('container', 'number'),
    requireObject('event'),
  ),
};

// The same checks in a Map: the type comes fresh out of JSON.parse, and a Map lookup only hashes
// it, where a property lookup on PAYLOAD_CHECKS first looks it up in V8's string table.
const CHECKS_BY_TYPE: ReadonlyMap<string, readonly PayloadCheck[]> = new Map(
  Object.entries(PAYLOAD_CHECKS),
);

/** What the checks of `type` find in `data`: one message a problem, naming the field. */
function payloadIssues(type: string, data: Record<string, unknown>): readonly string[] {
  const checks = CHECKS_BY_TYPE.get(type);
  if (checks === undefined) {
    return NO_ISSUES;
  }
  let issues: string[] | undefined;
  for (const check of checks) {
    const problem = check(data);
    if (problem !== undefined) {
      (issues ??= []).push(problem);
    }
  }
  return issues === undefined ? NO_ISSUES : Object.freeze(issues);
}

function fail(problem: VisiwiseUnparseableReason, message: string): EnvelopeParseResult {
  return { ok: false, problem, message };
}

// `__proto__` keys, and `constructor` keys holding a `prototype`, are dropped: harmless in the
// parsed value itself, they turn into prototype pollution as soon as a handler merges the payload
// into another object.
const PROTOTYPE_KEYS = { protoAction: 'remove', constructorAction: 'remove' } as const;

/**
 * Parses the verified raw bytes (never a re-serialised body) into an envelope. Returns a result
 * rather than throwing: every problem is the sender's, and the caller decides what it costs (kept
 * as unparseable, or a 400 in strict mode).
 */
export function parseVisiwiseEnvelope(
  rawBody: Buffer,
  options: EnvelopeParseOptions = { maxDepth: DEFAULT_MAX_JSON_DEPTH },
): EnvelopeParseResult {
  let body: unknown;
  try {
    body = parseJsonSafely(rawBody.toString('utf8'), null, PROTOTYPE_KEYS) as unknown;
  } catch {
    return fail('invalid_json', invalidJsonMessage());
  }
  if (jsonDepthExceeds(body, options.maxDepth)) {
    return fail('json_too_deep', jsonTooDeepMessage(options.maxDepth));
  }
  return checkEnvelope(body);
}

/**
 * Reads an envelope from a body already parsed from the verified bytes (the platform's parse, which
 * Nest makes in the same call that captures the raw body): the same depth limit, prototype-key
 * removal and envelope checks as {@link parseVisiwiseEnvelope}, without parsing the text again.
 */
export function readVisiwiseEnvelope(
  body: unknown,
  options: EnvelopeParseOptions = { maxDepth: DEFAULT_MAX_JSON_DEPTH },
): EnvelopeParseResult {
  // One walk finds both; it terminates on any input, so the removal then walks a bounded value.
  const inspection = inspectJsonValue(body, options.maxDepth);
  if (inspection === 'too_deep') {
    return fail('json_too_deep', jsonTooDeepMessage(options.maxDepth));
  }
  if (inspection === 'prototype_keys') {
    removePrototypeKeys(body as object, PROTOTYPE_KEYS);
  }
  return checkEnvelope(body);
}

function checkEnvelope(body: unknown): EnvelopeParseResult {
  if (!isObject(body)) {
    return fail('invalid_envelope', invalidEnvelopeMessage('the body is not a JSON object'));
  }
  const { type, data, timestamp } = body;
  if (typeof type !== 'string') {
    return fail('invalid_envelope', invalidEnvelopeMessage('"type" is missing or not a string'));
  }
  if (!EVENT_TYPE_PATTERN.test(type)) {
    return fail('invalid_event_type', invalidEventTypeMessage());
  }
  if (!isObject(data)) {
    return fail('invalid_envelope', invalidEnvelopeMessage('"data" is missing or not an object'));
  }
  return {
    ok: true,
    envelope: {
      type,
      data,
      timestamp: parseTimestamp(timestamp),
      issues: payloadIssues(type, data),
    },
  };
}

/** Whether this package itself types and checks the given event type. */
export function isBuiltInEventType(type: string): type is BuiltInVisiwiseEventType {
  return CHECKS_BY_TYPE.has(type);
}

function parseTimestamp(value: unknown): Date | undefined {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? undefined : value;
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
