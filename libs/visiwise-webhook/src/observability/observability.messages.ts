export const metricsOffDebugMessage = (): string =>
  'prom-client is not installed, so Prometheus metrics are off (npm install prom-client turns them on).';

export const tracingOffDebugMessage = (): string =>
  '@opentelemetry/api is not installed, so tracing is off (npm install @opentelemetry/api turns it on).';

export const invalidMetricsOptionMessage = (): string =>
  '`metrics` must be true, false or an object { registry?, prefix?, buckets?, tenantLabel? }.';

export const invalidMetricsPrefixMessage = (prefix: string): string =>
  `\`metrics.prefix\` must match [a-zA-Z_:][a-zA-Z0-9_:]* (a Prometheus metric name prefix); got "${prefix}".`;

export const invalidMetricsRegistryMessage = (): string =>
  '`metrics.registry` must be a prom-client Registry (new Registry(), or the default `register`).';

export const invalidBucketsMessage = (option: string): string =>
  `\`${option}\` must be a non-empty array of finite numbers in increasing order.`;

export const invalidTracingOptionMessage = (): string => '`tracing` must be true or false.';

export const metricClashMessage = (name: string): string =>
  `The metrics registry already holds a metric named ${name} of another kind or with other labels; ` +
  'set `metrics.prefix` to give this module its own names.';

export const deadLetterCountFailedMessage = (reason: string): string =>
  `Could not count the dead letters: ${reason}`;

export const deadLetterCountTimeoutMessage = (timeoutMs: number): string =>
  `no answer within ${timeoutMs} ms`;
