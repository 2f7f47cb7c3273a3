import type { VisiwiseDeliveryKey } from '../postgres/delivery-log.interface';

/**
 * Injection token of the module's delivery log (a `PostgresDeliveryLog`), provided when the
 * `inbox` option is on; `undefined` otherwise.
 */
export const VISIWISE_DELIVERY_LOG = Symbol('VISIWISE_DELIVERY_LOG');

/** What replaying a logged delivery did. */
export type VisiwiseInboxReplayResult = 'replayed' | 'not_found' | 'not_replayable';

/**
 * Replays a logged delivery: reads its recorded body anew and hands it to its endpoint's delivery
 * mode, as a fresh attempt whose outcome the log records. Only `failed`, `dead` and `unparseable`
 * deliveries are replayable.
 */
export interface VisiwiseInboxReplayer {
  replay(key: VisiwiseDeliveryKey): Promise<VisiwiseInboxReplayResult>;
}

/** Injection token of the module's {@link VisiwiseInboxReplayer} (with `inbox` on). */
export const VISIWISE_INBOX_REPLAYER = Symbol('VISIWISE_INBOX_REPLAYER');
