import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';

/** How a delivery was acknowledged: first time, or as a duplicate of a handled one. */
export type VisiwiseAckStatus = 'received' | 'duplicate';

/**
 * One way of acknowledging deliveries (inline, background, queue). `deliver` resolves when the
 * delivery may be answered 2xx, or throws a VisiwiseWebhookException with the status to answer.
 */
export interface DeliveryStrategy {
  deliver(event: AnyVisiwiseEvent): Promise<VisiwiseAckStatus>;
  /** Starts background machinery (workers) once the application's handlers are registered. */
  start(): void;
  /** Stops accepting and waits up to `timeoutMs` for work in flight. */
  drain(timeoutMs: number): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
