/**
 * EventEmitter2 event emitted when handling an already-acknowledged event failed for good: in
 * `background` mode on any handler failure, in `queue` mode when a job exhausted its attempts.
 * Listen with `@OnEvent(VISIWISE_DELIVERY_FAILED_EVENT)`; the payload is a
 * {@link VisiwiseDeliveryFailure}.
 */
export const VISIWISE_DELIVERY_FAILED_EVENT = 'visiwise:delivery-failed';

/** BullMQ job name of a queued event. */
export const QUEUE_JOB_NAME = 'visiwise-event';

/** BullMQ job name of a verified delivery kept because its body is not a usable event. */
export const UNPARSEABLE_JOB_NAME = 'visiwise-unparseable';
