import { createHash } from 'node:crypto';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { NO_ISSUES } from '../events/visiwise-event.parser';
import { DEFAULT_ENDPOINT_NAME, asEndpointName } from '../endpoints/endpoint-config';
import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';

/**
 * A verified event as stored in a job of the queue mode (JSON: dates as ISO strings): what you see
 * when inspecting the queue with BullMQ tools (the job id is the delivery id), or in the `data`
 * column of pg-boss's job table (the job id is derived from it: {@link pgBossJobIdFor}).
 */
export interface QueuedVisiwiseEvent {
  readonly id: string;
  readonly type: string;
  readonly timestamp: string;
  readonly receivedAt: string;
  readonly data: Record<string, unknown>;
  /** The event's payload issues; absent when clean (and in jobs queued before the field existed). */
  readonly issues?: readonly string[];
  /** The receive span's trace context (W3C `traceparent`), when tracing was on. */
  readonly trace?: Readonly<Record<string, string>>;
  /** The endpoint that received it (absent in jobs queued before endpoints existed: `default`). */
  readonly endpoint?: string;
  /** The tenant of a tenant endpoint's route. */
  readonly tenant?: string;
}

/** What a job of the queue holds: an event, or a delivery kept as unparseable. */
export type VisiwiseJobData = QueuedVisiwiseEvent | UnparseableVisiwiseDelivery;

export function toQueuedEvent(
  event: AnyVisiwiseEvent,
  trace: Readonly<Record<string, string>> | undefined,
): QueuedVisiwiseEvent {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.timestamp.toISOString(),
    receivedAt: event.receivedAt.toISOString(),
    data: event.data,
    ...(event.issues.length > 0 ? { issues: event.issues } : {}),
    ...(trace === undefined ? {} : { trace }),
    endpoint: event.endpoint,
    ...(event.tenant === undefined ? {} : { tenant: event.tenant }),
  };
}

export function fromQueuedEvent(queued: QueuedVisiwiseEvent): AnyVisiwiseEvent {
  return {
    id: queued.id,
    type: queued.type,
    timestamp: new Date(queued.timestamp),
    receivedAt: new Date(queued.receivedAt),
    data: queued.data,
    issues: queued.issues ?? NO_ISSUES,
    endpoint: asEndpointName(queued.endpoint ?? DEFAULT_ENDPOINT_NAME),
    tenant: queued.tenant,
  };
}

const SAFE_JOB_ID = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The BullMQ job id of a delivery: the svix-id itself when BullMQ accepts it (Svix ids always are:
 * `msg_` + base62), otherwise a hash of it (BullMQ refuses ':' and integer-looking ids). One job per
 * delivery id, so Svix's retries collapse into the job that already exists.
 */
export function jobIdFor(deliveryId: string, tenant?: string): string {
  if (tenant !== undefined) {
    // `<tenant>_<id>` when the tenant has no '_' (so the split is unambiguous), else a hash.
    return /^[A-Za-z0-9-]{1,64}$/.test(tenant)
      ? `${tenant}_${jobIdFor(deliveryId)}`
      : hashedJobId(`${tenant}/${deliveryId}`);
  }
  if (SAFE_JOB_ID.test(deliveryId) && !/^\d+$/.test(deliveryId)) {
    return deliveryId;
  }
  return hashedJobId(deliveryId);
}

function hashedJobId(text: string): string {
  return `sha256_${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * The job id of a delivery kept as unparseable: apart from its event's, so that the event it turns
 * out to be after a fix gets a job (with attempts and backoff) of its own.
 */
export function unparseableJobIdFor(deliveryId: string, tenant?: string): string {
  return `unparseable_${jobIdFor(deliveryId, tenant)}`;
}

/**
 * The pg-boss job id of a delivery in a queue. pg-boss 10 ids are UUIDs, so the key (queue name
 * and BullMQ-style job id, which carries the tenant) is hashed into one: SHA-256, its first 128
 * bits with the version set to 8 and the RFC 9562 variant (UUIDv8, "custom", of which a SHA-256
 * name-based id is the RFC's own example). One job per delivery and queue, so Svix's retries collapse
 * into the job that exists; the queue name in the key keeps one endpoint's ids apart from another's
 * even outside pg-boss's (queue, id) primary key (logs, tools).
 */
export function pgBossJobIdFor(queue: string, deliveryId: string, tenant?: string): string {
  return uuidFromKey(`${queue}/${jobIdFor(deliveryId, tenant)}`);
}

/** The pg-boss job id of a delivery kept as unparseable (apart from its event's; see above). */
export function pgBossUnparseableJobIdFor(
  queue: string,
  deliveryId: string,
  tenant?: string,
): string {
  return uuidFromKey(`${queue}/${unparseableJobIdFor(deliveryId, tenant)}`);
}

function uuidFromKey(key: string): string {
  const bytes = createHash('sha256').update(key).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
