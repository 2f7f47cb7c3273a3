import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { VisiwiseDeliveryMode } from '../visiwise-webhook-options.interface';

/** Payload of {@link VISIWISE_DELIVERY_FAILED_EVENT}: an acknowledged event whose handling failed. */
export interface VisiwiseDeliveryFailure {
  /** The event whose handlers failed. */
  readonly event: AnyVisiwiseEvent;
  /** What the handlers threw. */
  readonly errors: readonly unknown[];
  /** The delivery mode it failed in. */
  readonly mode: VisiwiseDeliveryMode;
}
