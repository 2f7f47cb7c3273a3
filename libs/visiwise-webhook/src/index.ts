/**
 * The public API of nestjs-visiwise-webhook. Named exports only: whatever is not listed here is
 * internal and may change without notice.
 *
 * @packageDocumentation
 * @module nestjs-visiwise-webhook
 */

export { VisiwiseWebhookModule } from './visiwise-webhook.module';
export type {
  VisiwiseDatabaseConnection,
  VisiwiseDatabaseOptions,
  VisiwiseDeadLetterOptions,
  VisiwiseDeliveryMode,
  VisiwiseInboxOptions,
  VisiwiseEndpointName,
  VisiwiseEndpointOptions,
  VisiwiseEndpointRegistry,
  VisiwiseTenantLookup,
  VisiwiseTenantOptions,
  VisiwisePayloadValidation,
  VisiwiseIdempotencyOptions,
  VisiwiseQueueOptions,
  VisiwiseRedisConnection,
  VisiwiseRedisOptions,
  VisiwiseWebhookModuleExtras,
  VisiwiseWebhookModuleOptions,
} from './visiwise-webhook-options.interface';

export type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from './delivery/idempotency-store.interface';
export { MemoryIdempotencyStore } from './delivery/memory-idempotency.store';
export type { MemoryIdempotencyStoreOptions } from './delivery/memory-idempotency.store';
export { RedisIdempotencyStore } from './delivery/redis-idempotency.store';
export type {
  RedisIdempotencyClient,
  RedisIdempotencyStoreOptions,
} from './delivery/redis-idempotency.store';
export { VISIWISE_DELIVERY_FAILED_EVENT } from './delivery/delivery.constants';
export type { VisiwiseDeliveryFailure } from './delivery/visiwise-delivery-failure.interface';
export type { VisiwiseAckStatus } from './delivery/delivery-strategy.interface';
export { VisiwiseDeadLetterService } from './delivery/visiwise-dead-letter.service';
export { VisiwiseDeadLetters } from './delivery/visiwise-dead-letters';
export type { QueuedVisiwiseEvent } from './delivery/queued-event';
export type {
  FailedEventsPage,
  FailedVisiwiseEvent,
  VisiwiseDeadLetterCause,
  VisiwiseDeadLetterFilter,
  VisiwiseDeadLetterLocation,
  VisiwiseDeadLetterSet,
} from './delivery/visiwise-dead-letters';
export { VisiwiseWebhookEndpoints } from './endpoints/visiwise-webhook-endpoints.service';
export type { VisiwiseEndpointInfo } from './endpoints/visiwise-webhook-endpoints.service';
export { DEFAULT_ENDPOINT_NAME } from './endpoints/endpoint-config';
export { VISIWISE_DELIVERY_LOG, VISIWISE_INBOX_REPLAYER } from './inbox/inbox.constants';
export type { VisiwiseInboxReplayer, VisiwiseInboxReplayResult } from './inbox/inbox.constants';
export type { UnparseableVisiwiseDelivery } from './delivery/unparseable-delivery';

export { VisiwiseWebhookVerifier } from './signature/visiwise-webhook-verifier';
export type {
  VerifiedVisiwiseDelivery,
  VisiwiseVerifyOptions,
  VisiwiseWebhookHeaderBag,
  VisiwiseWebhookVerifierOptions,
} from './signature/visiwise-webhook-verifier';
export type { VisiwiseSecretInput, VisiwiseSecretWithExpiry } from './signature/signing-secret';
export { VisiwiseSignatureError } from './signature/visiwise-signature.error';
export type { VisiwiseSignatureFailureReason } from './signature/visiwise-signature.error';
export { VisiwiseConfigurationError } from './signature/visiwise-configuration.error';

export { OnVisiwiseEvent } from './events/on-visiwise-event.decorator';
export type {
  VisiwiseEventSelector,
  VisiwiseHandlerDecorator,
  VisiwiseHandlerEvent,
  VisiwiseHandlerOptions,
} from './events/on-visiwise-event.decorator';
export { isVisiwiseEvent } from './events/visiwise-event.interface';
export type {
  AnyVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseEventData,
  VisiwiseEventMap,
  VisiwiseEventOf,
  VisiwiseEventType,
} from './events/visiwise-event.interface';
export type {
  VisiwiseArrivalTime,
  VisiwiseBillOfLadingTracking,
  VisiwiseBookingTracking,
  VisiwiseContainer,
  VisiwiseContainerTracking,
  VisiwisePlace,
  VisiwiseShipment,
  VisiwiseShippingLine,
  VisiwiseTag,
  VisiwiseTrackingBase,
  VisiwiseTrackStatus,
  VisiwiseTrackStatusValue,
  VisiwiseVessel,
} from './events/shipment.interface';
export type {
  VisiwiseContainerRef,
  VisiwiseMovementEvent,
  VisiwiseShipmentArrivalTimeChanged,
  VisiwiseShipmentContainerMovement,
  VisiwiseShipmentRef,
  VisiwiseShipmentTrackingFailed,
  VisiwiseTrackingType,
} from './events/shipment-update-events.interface';
export type {
  VisiwiseEnvelopeInput,
  VisiwiseEnvelopeProblem,
  VisiwiseUnparseableReason,
} from './events/visiwise-event.parser';
export { toShipmentSummary } from './events/shipment-summary.mapper';
export type {
  VisiwiseArrivalSummary,
  VisiwiseCarrierSummary,
  VisiwiseContainerSummary,
  VisiwiseLookupStatus,
  VisiwisePortSummary,
  VisiwiseShipmentPorts,
  VisiwiseShipmentSummary,
  VisiwiseTrackingKind,
} from './events/shipment-summary.interface';

export { VisiwiseSignatureGuard } from './http/visiwise-signature.guard';
export type { WebhookHttpRequest } from './http/webhook-request';
export { VisiwiseWebhookException } from './http/visiwise-webhook.exception';
export type {
  VisiwiseWebhookErrorBody,
  VisiwiseWebhookRejectionReason,
} from './http/visiwise-webhook.exception';
export type { VisiwiseWebhookAck } from './http/visiwise-webhook.controller';

export type {
  VisiwiseMetricsBuckets,
  VisiwiseMetricsOptions,
  VisiwiseMetricsRegistry,
  VisiwiseObservabilityOptions,
} from './observability/observability-options';
export { VisiwiseHealthIndicator } from './observability/visiwise-health.indicator';
export type {
  VisiwiseHealthDetails,
  VisiwiseHealthResult,
  VisiwiseRedisHealth,
  VisiwiseWorkerHealth,
} from './observability/visiwise-health.indicator';

export type { VisiwiseInboxPageOptions } from './inbox/inbox-page-options.interface';
export { VisiwiseInboxPageException } from './inbox/inbox-page.exception';
export type { VisiwiseInboxPageRejectionReason } from './inbox/inbox-page.exception';

export { migrateVisiwiseInbox } from './postgres/migrate-visiwise-inbox';
export type { VisiwisePostgresTableOptions } from './postgres/postgres-tables';
export { PostgresIdempotencyStore } from './postgres/postgres-idempotency.store';
export type {
  PostgresIdempotencyStoreOptions,
  PostgresPruneOptions,
} from './postgres/postgres-idempotency.store';
export { PostgresDeliveryLog } from './postgres/postgres-delivery-log';
export type { PostgresDeliveryLogOptions } from './postgres/postgres-delivery-log';
export type {
  VisiwiseDeliveryAttempt,
  VisiwiseDeliveryAttemptInput,
  VisiwiseDeliveryKey,
  VisiwiseDeliveryLogEntry,
  VisiwiseDeliveryLogFilter,
  VisiwiseDeliveryLogPage,
  VisiwiseDeliveryLogPageOptions,
  VisiwiseDeliveryLogPruneOptions,
  VisiwiseDeliveryLogStatus,
  VisiwiseDeliveryLogSummary,
  VisiwiseLoggedDelivery,
  VisiwiseLoggedDeliveryDetail,
} from './postgres/delivery-log.interface';
