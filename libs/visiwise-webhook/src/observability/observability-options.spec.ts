import * as api from '@opentelemetry/api';
import * as client from 'prom-client';
import { missingPackageMessage } from '../delivery/delivery.messages';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
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
  DEFAULT_DELIVERY_LAG_BUCKETS,
  DEFAULT_HANDLER_DURATION_BUCKETS,
  DEFAULT_METRICS_PREFIX,
  resolveObservabilityOptions,
  type ObservabilityPackageLoaders,
  type VisiwiseObservabilityOptions,
} from './observability-options';

const installed: ObservabilityPackageLoaders = {
  promClient: () => client,
  openTelemetryApi: () => api,
};
const missing: ObservabilityPackageLoaders = {
  promClient: () => undefined,
  openTelemetryApi: () => undefined,
};

function resolve(options: VisiwiseObservabilityOptions, loaders = installed) {
  const debug: string[] = [];
  const resolved = resolveObservabilityOptions(options, (line) => debug.push(line), loaders);
  return { resolved, debug };
}

function configurationError(options: unknown, loaders = installed): VisiwiseConfigurationError {
  try {
    resolve(options as VisiwiseObservabilityOptions, loaders);
  } catch (error) {
    expect(error).toBeInstanceOf(VisiwiseConfigurationError);
    return error as VisiwiseConfigurationError;
  }
  throw new Error('expected a configuration error');
}

describe('resolveObservabilityOptions', () => {
  it('turns both on by default when their packages are installed, on the default registry', () => {
    const { resolved, debug } = resolve({});
    expect(resolved.metrics).toEqual({
      client,
      registry: client.register,
      prefix: DEFAULT_METRICS_PREFIX,
      deliveryLagBuckets: DEFAULT_DELIVERY_LAG_BUCKETS,
      handlerDurationBuckets: DEFAULT_HANDLER_DURATION_BUCKETS,
      tenantLabel: false,
    });
    expect(resolved.tracing).toBe(api);
    expect(debug).toEqual([]);
  });

  it('turns both off by default, with one debug line each, when their packages are missing', () => {
    const { resolved, debug } = resolve({}, missing);
    expect(resolved).toEqual({ metrics: undefined, tracing: undefined });
    expect(debug).toEqual([metricsOffDebugMessage(), tracingOffDebugMessage()]);
  });

  it('turns each off with false, without loading anything', () => {
    const loaders: ObservabilityPackageLoaders = {
      promClient: () => {
        throw new Error('must not load prom-client');
      },
      openTelemetryApi: () => {
        throw new Error('must not load @opentelemetry/api');
      },
    };
    expect(resolve({ metrics: false, tracing: false }, loaders).resolved).toEqual({
      metrics: undefined,
      tracing: undefined,
    });
  });

  it('fails at start, naming the install command, when asked for metrics without prom-client', () => {
    for (const metrics of [true, {}]) {
      expect(configurationError({ metrics }, missing).message).toBe(
        missingPackageMessage('prom-client', '`metrics`'),
      );
    }
    expect(missingPackageMessage('prom-client', '`metrics`')).toContain('npm install prom-client');
  });

  it('fails at start when asked for tracing without @opentelemetry/api', () => {
    expect(configurationError({ tracing: true, metrics: false }, missing).message).toBe(
      missingPackageMessage('@opentelemetry/api', '`tracing`'),
    );
  });

  it('takes the registry, prefix and buckets given', () => {
    const registry = new client.Registry();
    const { resolved } = resolve({
      metrics: {
        registry,
        prefix: 'hooks_',
        buckets: { deliveryLagSeconds: [1, 10], handlerDurationSeconds: [0.1] },
      },
    });
    expect(resolved.metrics).toMatchObject({
      registry,
      prefix: 'hooks_',
      deliveryLagBuckets: [1, 10],
      handlerDurationBuckets: [0.1],
    });
  });

  it.each([
    [{ metrics: 'yes' }, invalidMetricsOptionMessage()],
    [
      { metrics: { prefix: 'visiwise-webhook-' } },
      invalidMetricsPrefixMessage('visiwise-webhook-'),
    ],
    [{ metrics: { prefix: 42 } }, invalidMetricsPrefixMessage('number')],
    [{ metrics: { registry: {} } }, invalidMetricsRegistryMessage()],
    [{ metrics: { buckets: [1, 2] } }, invalidBucketsMessage('metrics.buckets')],
    [
      { metrics: { buckets: { deliveryLagSeconds: [5, 1] } } },
      invalidBucketsMessage('metrics.buckets.deliveryLagSeconds'),
    ],
    [
      { metrics: { buckets: { handlerDurationSeconds: [] } } },
      invalidBucketsMessage('metrics.buckets.handlerDurationSeconds'),
    ],
    [
      { metrics: { buckets: { handlerDurationSeconds: [0.1, Infinity] } } },
      invalidBucketsMessage('metrics.buckets.handlerDurationSeconds'),
    ],
    [{ tracing: 'on' }, invalidTracingOptionMessage()],
  ])('rejects %j', (options, message) => {
    expect(configurationError(options).message).toBe(message);
  });
});
