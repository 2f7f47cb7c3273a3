import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import type { UnparseableVisiwiseDelivery } from './unparseable-delivery';

/**
 * How a delivery was acknowledged: first time (`received`), as a duplicate of a handled one
 * (`duplicate`), or kept in the dead letters because its verified body is not a usable event
 * (`unparseable`).
 */
export type VisiwiseAckStatus = 'received' | 'duplicate' | 'unparseable';

/**
 * One way of acknowledging deliveries (inline, background, queue). `deliver` resolves when the
 * delivery may be answered 2xx, or throws a VisiwiseWebhookException with the status to answer.
 */
export interface DeliveryStrategy {
  /** `trace`: the receive span of the request, parent of the handler span (none on a replay). */
  deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus>;
  /**
   * Keeps a verified delivery that is not a usable event in the dead letters; resolves
   * `unparseable` once it is stored, or throws a 503 VisiwiseWebhookException when it could not be.
   */
  keepUnparseable(delivery: UnparseableVisiwiseDelivery): Promise<VisiwiseAckStatus>;
  /** Starts background machinery (workers) once the application's handlers are registered. */
  start(): void;
  /** Stops accepting and waits up to `timeoutMs` for work in flight. */
  drain(timeoutMs: number): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
