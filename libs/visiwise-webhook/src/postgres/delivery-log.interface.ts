/**
 * Where a delivery stands in the log:
 * - `received`: recorded, not (yet) handled;
 * - `handled`: every handler succeeded;
 * - `failed`: the last attempt failed, another may follow;
 * - `dead`: attempts exhausted, kept until replayed or pruned explicitly;
 * - `unparseable`: signed, but the body is not an event; kept until replayed or pruned explicitly.
 */
export type VisiwiseDeliveryLogStatus = 'received' | 'handled' | 'failed' | 'dead' | 'unparseable';

/** Identifies one delivery: its id on one endpoint (and tenant). */
export interface VisiwiseDeliveryKey {
  /** Name of the endpoint that received it. */
  readonly endpoint: string;
  /** Tenant of the endpoint, when it has several. @default '' */
  readonly tenant?: string;
  /** The delivery id (`svix-id`). */
  readonly deliveryId: string;
}

/** A verified delivery to record, as the receive path knows it. */
export interface VisiwiseDeliveryLogEntry extends VisiwiseDeliveryKey {
  /** The event type, or `null` when the body could not be read as an event. */
  readonly eventType: string | null;
  /** The signing time (`svix-timestamp`). */
  readonly svixTimestamp?: Date | null;
  /** When it was received. @default the database's now() */
  readonly receivedAt?: Date;
  /** The exact bytes that were verified. */
  readonly rawBody: Uint8Array;
  /**
   * Headers of the delivery. Only the id, timestamp, content type and user agent are kept:
   * signatures are dropped here, whatever the caller passes.
   */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Problems found in the payload (`event.issues`). */
  readonly issues?: readonly string[];
  /** Container, bill-of-lading and booking numbers it is about, for search (stored upper-case). */
  readonly trackingRefs?: readonly string[];
  /** `unparseable` for a body that is not an event. @default 'received' */
  readonly status?: 'received' | 'unparseable';
  /** Why it is unparseable. */
  readonly error?: string;
}

/** One handling attempt, as {@link PostgresDeliveryLog.recordAttempt} takes it. */
export interface VisiwiseDeliveryAttemptInput {
  /** Attempt number, from 1. Recording the same number again replaces that attempt. */
  readonly attempt: number;
  readonly startedAt: Date;
  /** @default the database's now() */
  readonly finishedAt?: Date;
  readonly outcome: 'handled' | 'failed';
  /** What the failed attempt threw (stored as text, its stack when it has one, truncated). */
  readonly error?: unknown;
}

/** One handling attempt of a logged delivery. */
export interface VisiwiseDeliveryAttempt {
  readonly attempt: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly outcome: 'handled' | 'failed';
  readonly error: string | null;
}

/** A delivery as listed: everything but its body. */
export interface VisiwiseLoggedDelivery {
  readonly endpoint: string;
  readonly tenant: string;
  readonly deliveryId: string;
  readonly eventType: string | null;
  readonly svixTimestamp: Date | null;
  readonly receivedAt: Date;
  readonly headers: Readonly<Record<string, string>>;
  readonly issues: readonly string[];
  readonly trackingRefs: readonly string[];
  readonly status: VisiwiseDeliveryLogStatus;
  /** Attempts that failed so far (the highest attempt number reported failed). */
  readonly attempts: number;
  readonly lastError: string | null;
  readonly handledAt: Date | null;
  /** Size of the raw body in bytes. */
  readonly bodyBytes: number;
}

/** One delivery with its body and its attempts, oldest first. */
export interface VisiwiseLoggedDeliveryDetail extends VisiwiseLoggedDelivery {
  readonly rawBody: Buffer;
  readonly history: readonly VisiwiseDeliveryAttempt[];
}

/** Narrows {@link PostgresDeliveryLog.list}; every field given must match. */
export interface VisiwiseDeliveryLogFilter {
  readonly status?: VisiwiseDeliveryLogStatus;
  /** Exact event type. */
  readonly type?: string;
  readonly endpoint?: string;
  readonly tenant?: string;
  /** Received at or after. */
  readonly receivedFrom?: Date;
  /** Received before. */
  readonly receivedBefore?: Date;
  /** An exact delivery id, or a tracking reference (any case). */
  readonly q?: string;
}

/** Which page of {@link PostgresDeliveryLog.list}. */
export interface VisiwiseDeliveryLogPageOptions {
  /** `nextCursor` of the previous page; absent for the first (newest) page. */
  readonly cursor?: string;
  /** Deliveries per page, at most 500. @default 50 */
  readonly limit?: number;
}

/** A page of deliveries, newest first. */
export interface VisiwiseDeliveryLogPage {
  readonly items: readonly VisiwiseLoggedDelivery[];
  /** Pass it back for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/** Counts of the logged deliveries. */
export interface VisiwiseDeliveryLogSummary {
  readonly total: number;
  /** Every status, 0 when none has it. */
  readonly byStatus: Readonly<Record<VisiwiseDeliveryLogStatus, number>>;
  /** Per event type (`null`: unparseable), most frequent first. */
  readonly byType: readonly { readonly type: string | null; readonly count: number }[];
}

/** What {@link PostgresDeliveryLog.prune} deletes. */
export interface VisiwiseDeliveryLogPruneOptions {
  /** Deletes deliveries received before this time (except dead and unparseable ones). */
  readonly olderThan: Date;
  /** Rows deleted per statement: small batches hold row locks briefly. @default 1000 */
  readonly batchSize?: number;
}
