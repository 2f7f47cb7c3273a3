import { DynamicModule, Inject, Module, NestModule, Optional, Provider } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { VisiwiseDeadLetterService } from './delivery/visiwise-dead-letter.service';
import { VisiwiseDeliveryRuntime } from './delivery/visiwise-delivery.runtime';
import { VisiwiseWebhookReceiver } from './delivery/visiwise-webhook.receiver';
import { VisiwiseEventPublisher } from './events/visiwise-event.publisher';
import { isBuiltInEventType } from './events/visiwise-event.parser';
import { VISIWISE_HEALTH_SOURCE } from './observability/observability.constants';
import { resolveObservabilityOptions } from './observability/observability-options';
import { VisiwiseHealthIndicator } from './observability/visiwise-health.indicator';
import { VisiwiseTelemetry } from './observability/visiwise-telemetry';
import { VisiwiseSignatureGuard } from './http/visiwise-signature.guard';
import { letUnparseableBodiesThrough, webhookRoutePath } from './http/unparseable-body.hook';
import { VisiwiseWebhookVerifier } from './signature/visiwise-webhook-verifier';
import { VisiwiseWebhookEndpoints } from './endpoints/visiwise-webhook-endpoints.service';
import { parseFormsOnFastify } from './inbox/fastify-form-parser';
import { type ResolvedInboxPage, VISIWISE_INBOX_PAGE } from './inbox/inbox-page-config';
import {
  VISIWISE_DELIVERY_LOG,
  VISIWISE_INBOX_REPLAYER,
  type VisiwiseInboxReplayer,
} from './inbox/inbox.constants';
import type { PostgresDeliveryLog } from './postgres/postgres-delivery-log';
import type { VisiwiseDeliveryKey } from './postgres/delivery-log.interface';
import {
  optionalConfigServiceDependency,
  readSecretFromConfig,
} from './visiwise-webhook.secret-source';
import { resolveVisiwiseWebhookConfig, VisiwiseWebhookConfig } from './visiwise-webhook.config';
import { VISIWISE_WEBHOOK_CONFIG, VISIWISE_WEBHOOK_PATH } from './visiwise-webhook.constants';
import type { VisiwiseWebhookModuleOptions } from './visiwise-webhook-options.interface';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
  VISIWISE_WEBHOOK_MODULE_OPTIONS,
} from './visiwise-webhook.module-definition';

const configProvider: Provider = {
  provide: VISIWISE_WEBHOOK_CONFIG,
  inject: [VISIWISE_WEBHOOK_MODULE_OPTIONS, optionalConfigServiceDependency()],
  useFactory: (
    options: VisiwiseWebhookModuleOptions,
    configService: unknown,
  ): VisiwiseWebhookConfig =>
    resolveVisiwiseWebhookConfig(
      options,
      options.secret === undefined ? readSecretFromConfig(configService) : undefined,
    ),
};

const telemetryProvider: Provider = {
  provide: VisiwiseTelemetry,
  inject: [VISIWISE_WEBHOOK_MODULE_OPTIONS, VisiwiseEventPublisher],
  useFactory: (
    options: VisiwiseWebhookModuleOptions,
    publisher: VisiwiseEventPublisher,
  ): VisiwiseTelemetry =>
    VisiwiseTelemetry.create(
      resolveObservabilityOptions(options),
      // A type keeps its own metric label if the package types it or a handler subscribes to it
      // by name: a wildcard handler takes every type, which would make any type a label value.
      (type) => isBuiltInEventType(type) || publisher.hasTypedHandler(type),
    ),
};

const healthSourceProvider: Provider = {
  provide: VISIWISE_HEALTH_SOURCE,
  useExisting: VisiwiseDeliveryRuntime,
};

const deliveryLogProvider: Provider = {
  provide: VISIWISE_DELIVERY_LOG,
  inject: [VisiwiseDeliveryRuntime],
  // null (not undefined, which Nest would take for a missing provider) when the inbox is off.
  useFactory: (runtime: VisiwiseDeliveryRuntime): PostgresDeliveryLog | null =>
    runtime.deliveryLog() ?? null,
};

const inboxReplayerProvider: Provider = {
  provide: VISIWISE_INBOX_REPLAYER,
  inject: [VisiwiseDeliveryRuntime],
  useFactory: (runtime: VisiwiseDeliveryRuntime): VisiwiseInboxReplayer | null =>
    runtime.deliveryLog() === undefined
      ? null
      : { replay: (key: VisiwiseDeliveryKey) => runtime.replayLogged(key) },
};

const verifierProvider: Provider = {
  provide: VisiwiseWebhookVerifier,
  inject: [VISIWISE_WEBHOOK_CONFIG],
  // The first endpoint with static secrets (undefined when every endpoint resolves tenants).
  useFactory: (config: VisiwiseWebhookConfig): VisiwiseWebhookVerifier | undefined =>
    config.verifier,
};

/**
 * Receives Visiwise webhooks: registers `POST /webhooks/visiwise` (see `path`), verifies every
 * delivery's Svix signature and timestamp on the raw bytes, and hands each verified event to the
 * `@OnVisiwiseEvent` handlers of the application, answering 200 only once they succeeded.
 *
 * ```ts
 * @Module({
 *   imports: [
 *     EventEmitterModule.forRoot(),
 *     VisiwiseWebhookModule.forRoot({ secret: process.env.VISIWISE_WEBHOOK_SECRET }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 *
 * The app must be created with `rawBody: true`. Configuration errors (no secret, a malformed
 * secret) make the application fail at start. Exports {@link VisiwiseSignatureGuard} and the
 * configured {@link VisiwiseWebhookVerifier}.
 */
@Module({
  providers: [
    configProvider,
    verifierProvider,
    telemetryProvider,
    healthSourceProvider,
    VisiwiseHealthIndicator,
    VisiwiseSignatureGuard,
    VisiwiseEventPublisher,
    VisiwiseDeliveryRuntime,
    VisiwiseWebhookReceiver,
    VisiwiseDeadLetterService,
    VisiwiseWebhookEndpoints,
    deliveryLogProvider,
    inboxReplayerProvider,
  ],
  exports: [
    VisiwiseWebhookEndpoints,
    VISIWISE_DELIVERY_LOG,
    VISIWISE_INBOX_REPLAYER,
    VISIWISE_WEBHOOK_CONFIG,
    VisiwiseTelemetry,
    VisiwiseHealthIndicator,
    VisiwiseWebhookVerifier,
    VisiwiseSignatureGuard,
    VisiwiseDeadLetterService,
  ],
})
export class VisiwiseWebhookModule extends ConfigurableModuleClass implements NestModule {
  /** @internal Created by Nest's injector. */
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly applicationConfig: ApplicationConfig,
    @Inject(VISIWISE_WEBHOOK_PATH) private readonly path: string,
    @Inject(VISIWISE_WEBHOOK_CONFIG) private readonly config: VisiwiseWebhookConfig,
    @Optional() @Inject(VISIWISE_INBOX_PAGE) private readonly inboxPage?: ResolvedInboxPage,
  ) {
    super();
  }

  /**
   * Runs after Nest registered its body parser and before the routes: lets a signed body the
   * platform cannot parse reach the endpoint, to be kept as unparseable (not in strict mode, where
   * the platform's 400 stands); and, with the inbox page on Fastify, makes sure its replay form
   * can be read. A no-op in an application context without HTTP (a worker process).
   */
  configure(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (adapter === undefined) {
      return;
    }
    if (this.inboxPage !== undefined) {
      const pagePath = webhookRoutePath(
        this.applicationConfig.getGlobalPrefix(),
        this.inboxPage.path,
      );
      parseFormsOnFastify(adapter, `${pagePath}/replay`);
    }
    if (this.config.payload.validation === 'strict') {
      return;
    }
    letUnparseableBodiesThrough(adapter, {
      path: webhookRoutePath(this.applicationConfig.getGlobalPrefix(), this.path),
    });
  }

  /** Registers the module with static options; `secret` may be left to `VISIWISE_WEBHOOK_SECRET`. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers the module with options from a factory or class (e.g. from `ConfigService`). */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}
