/**
 * Test helpers of nestjs-visiwise-webhook, imported from `nestjs-visiwise-webhook/testing`: signing,
 * realistic fixtures of every event type, and a one-line delivery to a Nest test application.
 *
 * @packageDocumentation
 * @module nestjs-visiwise-webhook/testing
 */
export {
  generateVisiwiseEd25519KeyPair,
  generateVisiwiseWebhookSecret,
  serializeVisiwisePayload,
  signVisiwiseWebhook,
} from './sign-visiwise-webhook';
export type { SignVisiwiseWebhookInput, VisiwiseWebhookHeaders } from './sign-visiwise-webhook';

export {
  buildShipmentTracked,
  buildShipmentTrackedBillOfLading,
  buildShipmentTrackedBooking,
  buildShipmentTrackedFailed,
} from './shipment-tracked.fixtures';
export {
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTrackingFailed,
} from './shipment-update-events.fixtures';
export type { VisiwiseFixtureOverrides } from './fixture-overrides';
export { toVisiwiseEvent } from './visiwise-event-envelope';
export type {
  ToVisiwiseEventOptions,
  VisiwiseEventEnvelope,
  VisiwiseFixtureOptions,
} from './visiwise-event-envelope';

export { deliverVisiwiseEvent } from './deliver-visiwise-event';
export type {
  DeliverVisiwiseEventInput,
  VisiwiseDeliveryResponse,
  VisiwiseDeliveryTarget,
} from './deliver-visiwise-event';
