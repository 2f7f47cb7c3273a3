import { Logger } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { missingPackageMessage } from '../delivery/delivery.messages';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { LOGGER_CONTEXT } from '../visiwise-webhook.constants';
import {
  invalidBucketsMessage,
  invalidMetricsOptionMessage,
  invalidMetricsPrefixMessage,
  invalidMetricsRegistryMessage,
  invalidTracingOptionMessage,
  metricsOffDebugMessage,
  tracingOffDebugMessage,
} from './observability.messages';
import {
  loadOpenTelemetryApi,
  loadPromClient,
  type OpenTelemetryApiModule,
  type PromClientModule,
} from './observability-packages';

/**
 * A prom-client `Registry`, typed by the little that identifies one, so that these options compile
 * in applications that do not install prom-client.
 */
export interface VisiwiseMetricsRegistry {
  getSingleMetric(name: string): unknown;
  metrics(): Promise<string>;
}

/** Histogram bucket boundaries, in seconds, in increasing order. */
export interface VisiwiseMetricsBuckets {
  /**
   * Of `visiwise_webhook_delivery_lag_seconds` (receive time minus the signed `svix-timestamp`).
   * They reach past Svix's ~28 h retry horizon so that the last retries still land in a bucket.
   * @default [1, 5, 30, 60, 300, 1800, 3600, 7200, 18000, 36000, 100000]
   */
  deliveryLagSeconds?: readonly number[];
  /**
   * Of `visiwise_webhook_handler_duration_seconds` (one run of an event's handlers).
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
   */
  handlerDurationSeconds?: readonly number[];
}

/** Where and how the Prometheus metrics are registered. */
export interface VisiwiseMetricsOptions {
  /**
   * The prom-client registry to register the metrics on. The default registry is the one
   * `@willsoto/nestjs-prometheus` and `collectDefaultMetrics()` use, so an existing `/metrics`
   * shows these metrics without more setup.
   * @default prom-client's default `register`
   */
  registry?: VisiwiseMetricsRegistry;
  /**
   * Prefix of every metric name.
   * @default 'visiwise_webhook_'
   */
  prefix?: string;
  /** Histogram buckets. */
  buckets?: VisiwiseMetricsBuckets;
  /**
   * Add a `tenant` label to `deliveries_total` (tenant endpoints). Off by default: one series per
   * tenant grows without bound with your customer count; turn it on only when that count is small.
   * Only deliveries whose signature verified carry their tenant; those refused before (bad
   * signature, unknown tenant) carry `tenant=""`, since anyone can put any id in the URL.
   * @default false
   */
  tenantLabel?: boolean;
}

/** Metrics and tracing options of the webhook module (see docs/OBSERVABILITY.md). */
export interface VisiwiseObservabilityOptions {
  /**
   * Prometheus metrics through prom-client (an optional peer dependency). `true` or an object
   * turns them on and fails at start when prom-client is not installed; `false` turns them off.
   * @default on when prom-client is installed, otherwise off
   */
  metrics?: boolean | VisiwiseMetricsOptions;
  /**
   * OpenTelemetry spans through @opentelemetry/api (an optional peer dependency): a
   * `visiwise.receive` span per request and a `visiwise.handle` span per run of an event's
   * handlers. They are recorded only when the application registers an OpenTelemetry SDK; without
   * one the API is a no-op. `true` fails at start when @opentelemetry/api is not installed.
   * @default on when @opentelemetry/api is installed, otherwise off
   */
  tracing?: boolean;
}

/** Resolved metrics options: everything set, prom-client loaded (internal). */
export interface ResolvedMetricsOptions {
  readonly client: PromClientModule;
  readonly registry: Registry;
  readonly prefix: string;
  readonly deliveryLagBuckets: readonly number[];
  readonly handlerDurationBuckets: readonly number[];
  readonly tenantLabel: boolean;
}

/** Resolved observability options; `undefined` parts are off (internal). */
export interface ResolvedObservabilityOptions {
  readonly metrics: ResolvedMetricsOptions | undefined;
  readonly tracing: OpenTelemetryApiModule | undefined;
}

/** How the optional packages are loaded (replaced in tests to play "not installed"). */
export interface ObservabilityPackageLoaders {
  readonly promClient: () => PromClientModule | undefined;
  readonly openTelemetryApi: () => OpenTelemetryApiModule | undefined;
}

/** Default prefix of the metric names. */
export const DEFAULT_METRICS_PREFIX = 'visiwise_webhook_';

/** Default buckets of the delivery lag histogram, in seconds (1 s .. ~28 h). */
export const DEFAULT_DELIVERY_LAG_BUCKETS: readonly number[] = [
  1, 5, 30, 60, 300, 1800, 3600, 7200, 18000, 36000, 100000,
];

/** Default buckets of the handler duration histogram, in seconds (5 ms .. 1 min). */
export const DEFAULT_HANDLER_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const METRIC_PREFIX_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const DEFAULT_LOADERS: ObservabilityPackageLoaders = {
  promClient: loadPromClient,
  openTelemetryApi: loadOpenTelemetryApi,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveBuckets(
  value: unknown,
  option: string,
  fallback: readonly number[],
): readonly number[] {
  if (value === undefined) {
    return fallback;
  }
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (bound, index): boolean =>
        typeof bound === 'number' &&
        Number.isFinite(bound) &&
        (index === 0 || bound > (value[index - 1] as number)),
    );
  if (!valid) {
    throw new VisiwiseConfigurationError(invalidBucketsMessage(option));
  }
  return [...(value as readonly number[])];
}

function resolveMetrics(
  option: unknown,
  loaders: ObservabilityPackageLoaders,
  debug: (message: string) => void,
): ResolvedMetricsOptions | undefined {
  if (option === false) {
    return undefined;
  }
  if (option !== undefined && option !== true && !isRecord(option)) {
    throw new VisiwiseConfigurationError(invalidMetricsOptionMessage());
  }
  const client = loaders.promClient();
  if (client === undefined) {
    if (option === undefined) {
      // The default follows the installation: no prom-client, no metrics, and no noise about it.
      debug(metricsOffDebugMessage());
      return undefined;
    }
    throw new VisiwiseConfigurationError(missingPackageMessage('prom-client', '`metrics`'));
  }
  const given = isRecord(option) ? option : {};
  const prefix = given['prefix'] ?? DEFAULT_METRICS_PREFIX;
  if (typeof prefix !== 'string' || !METRIC_PREFIX_PATTERN.test(prefix)) {
    throw new VisiwiseConfigurationError(
      invalidMetricsPrefixMessage(typeof prefix === 'string' ? prefix : typeof prefix),
    );
  }
  const registry = given['registry'] ?? client.register;
  if (
    !isRecord(registry) ||
    typeof registry['getSingleMetric'] !== 'function' ||
    typeof registry['registerMetric'] !== 'function'
  ) {
    throw new VisiwiseConfigurationError(invalidMetricsRegistryMessage());
  }
  const tenantLabel = given['tenantLabel'] ?? false;
  if (typeof tenantLabel !== 'boolean') {
    throw new VisiwiseConfigurationError(invalidMetricsOptionMessage());
  }
  const buckets = given['buckets'] ?? {};
  if (!isRecord(buckets)) {
    throw new VisiwiseConfigurationError(invalidBucketsMessage('metrics.buckets'));
  }
  return {
    client,
    registry: registry as unknown as Registry,
    prefix,
    deliveryLagBuckets: resolveBuckets(
      buckets['deliveryLagSeconds'],
      'metrics.buckets.deliveryLagSeconds',
      DEFAULT_DELIVERY_LAG_BUCKETS,
    ),
    handlerDurationBuckets: resolveBuckets(
      buckets['handlerDurationSeconds'],
      'metrics.buckets.handlerDurationSeconds',
      DEFAULT_HANDLER_DURATION_BUCKETS,
    ),
    tenantLabel,
  };
}

function resolveTracing(
  option: unknown,
  loaders: ObservabilityPackageLoaders,
  debug: (message: string) => void,
): OpenTelemetryApiModule | undefined {
  if (option === false) {
    return undefined;
  }
  if (option !== undefined && option !== true) {
    throw new VisiwiseConfigurationError(invalidTracingOptionMessage());
  }
  const api = loaders.openTelemetryApi();
  if (api === undefined) {
    if (option === undefined) {
      debug(tracingOffDebugMessage());
      return undefined;
    }
    throw new VisiwiseConfigurationError(missingPackageMessage('@opentelemetry/api', '`tracing`'));
  }
  return api;
}

/**
 * Validates the `metrics` and `tracing` options, loads the optional packages they need, and merges
 * the defaults, once, at start. Throws a {@link VisiwiseConfigurationError} naming the option (or
 * the package to install) when they cannot work; an option left unset whose package is missing is
 * turned off with one debug line.
 */
export function resolveObservabilityOptions(
  options: VisiwiseObservabilityOptions,
  debug: (message: string) => void = (message) => {
    new Logger(LOGGER_CONTEXT).debug(message);
  },
  loaders: ObservabilityPackageLoaders = DEFAULT_LOADERS,
): ResolvedObservabilityOptions {
  return {
    metrics: resolveMetrics(options.metrics, loaders, debug),
    tracing: resolveTracing(options.tracing, loaders, debug),
  };
}
