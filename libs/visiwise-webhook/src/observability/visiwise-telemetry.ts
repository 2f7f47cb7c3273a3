import { isBuiltInEventType } from '../events/visiwise-event.parser';
import type { VisiwiseDeliveryAnswer } from './delivery-answer.interface';
import { EventTypeLabels } from './event-type-label';
import type { ResolvedObservabilityOptions } from './observability-options';
import {
  VisiwiseMetrics,
  type VisiwiseDeadLetterCause,
  type VisiwiseNoHandlerSite,
  type VisiwiseQueueCounts,
  type VisiwiseRedisState,
  type VisiwiseUnwatch,
} from './visiwise-metrics';
import {
  VisiwiseTracing,
  type DeliveryTrace,
  type VisiwiseHandlingContext,
  type VisiwiseHandlingResult,
  type VisiwiseTraceCarrier,
} from './visiwise-tracing';

/**
 * The one observer the receive path and the workers call: it fans each decided outcome out to the
 * Prometheus metrics and the OpenTelemetry spans, so that they never disagree and the strategies
 * call one thing (DESIGN.md, "One outcome, many observers"). Each part is a no-op when its
 * optional package is absent or turned off.
 */
export class VisiwiseTelemetry {
  private readonly labels: EventTypeLabels;
  private readonly timed: boolean;

  /**
   * @param isKnownType whether an event type may be a label value of its own (a built-in type, or
   *   one a handler subscribes to); other types are counted as `other`.
   */
  constructor(
    private readonly metrics: VisiwiseMetrics,
    private readonly tracing: VisiwiseTracing,
    isKnownType: (type: string) => boolean = isBuiltInEventType,
  ) {
    this.labels = new EventTypeLabels(isKnownType);
    this.timed = metrics.enabled;
  }

  /** Builds the telemetry from resolved options (see `resolveObservabilityOptions`). */
  static create(
    options: ResolvedObservabilityOptions,
    isKnownType: (type: string) => boolean = isBuiltInEventType,
  ): VisiwiseTelemetry {
    return new VisiwiseTelemetry(
      options.metrics === undefined
        ? VisiwiseMetrics.disabled()
        : VisiwiseMetrics.create(options.metrics),
      options.tracing === undefined
        ? VisiwiseTracing.disabled()
        : VisiwiseTracing.create(options.tracing),
      isKnownType,
    );
  }

  /** A telemetry that records nothing (both parts off), for tests and when everything is off. */
  static disabled(): VisiwiseTelemetry {
    return new VisiwiseTelemetry(VisiwiseMetrics.disabled(), VisiwiseTracing.disabled());
  }

  /** Starts the receive span of a request; `undefined` (at no cost) when there is nothing to trace. */
  beginDelivery(): DeliveryTrace | undefined {
    return this.tracing.beginDelivery();
  }

  /**
   * Records the answer to one request, exactly once per request: the deliveries counter, the lag
   * (when the timestamp verified), and the end of the receive span.
   */
  answered(trace: DeliveryTrace | undefined, answer: VisiwiseDeliveryAnswer): void {
    this.metrics.delivered(answer, this.labels.of(answer.type));
    this.tracing.endDelivery(trace, answer);
  }

  /** The trace context to store with a queued job, or `undefined`. */
  carrier(trace: DeliveryTrace | undefined): VisiwiseTraceCarrier | undefined {
    return this.tracing.carrier(trace);
  }

  /**
   * Wraps one run of an event's handlers (any mode, any attempt): the duration histogram, the
   * failures counter, and the `visiwise.handle <type>` span, active while `run` executes. `run`
   * should never reject (it resolves `ok: false`); if it does, the failure is recorded and the
   * rejection passed on.
   */
  handle<T extends VisiwiseHandlingResult>(
    event: { readonly id: string; readonly type: string; readonly endpoint: string },
    context: VisiwiseHandlingContext,
    run: () => Promise<T>,
  ): Promise<T> {
    const typeLabel = this.labels.of(event.type);
    if (!this.timed) {
      return this.tracing.handle(event, typeLabel, context, run);
    }
    // One `then` rather than an async function with try/finally: this runs once per delivery, and
    // each async layer costs a promise and turns of the microtask queue.
    const started = performance.now();
    return this.tracing.handle(event, typeLabel, context, run).then(
      (result) => {
        this.metrics.handled(
          typeLabel,
          event.endpoint,
          result.ok,
          (performance.now() - started) / 1000,
        );
        return result;
      },
      (error: unknown) => {
        this.metrics.handled(
          typeLabel,
          event.endpoint,
          false,
          (performance.now() - started) / 1000,
        );
        throw error;
      },
    );
  }

  /** Counts a queued event that will be retried. */
  retried(type: string, endpoint: string): void {
    this.metrics.retried(this.labels.of(type), endpoint);
  }

  /** Counts an event put in the dead letters (`type` undefined when the body had none). */
  deadLettered(type: string | undefined, cause: VisiwiseDeadLetterCause, endpoint: string): void {
    this.metrics.deadLettered(this.labels.of(type), cause, endpoint);
  }

  /** Counts an event for which no handler is registered. */
  noHandler(type: string, where: VisiwiseNoHandlerSite, endpoint: string): void {
    this.metrics.noHandler(this.labels.of(type), where, endpoint);
  }

  /**
   * Queue mode: reports the queue's waiting / active / delayed / failed job counts, read when
   * Prometheus scrapes (at most every 5 s, never per request), until the returned function or
   * {@link close} is called.
   */
  watchQueue(queue: VisiwiseQueueCounts, queueName: string): VisiwiseUnwatch {
    return this.metrics.watchQueue(queue, queueName);
  }

  /** Reports a Redis connection monitor on the `redis_up` gauge, read when Prometheus scrapes. */
  watchRedis(monitor: VisiwiseRedisState): VisiwiseUnwatch {
    return this.metrics.watchRedis(monitor);
  }

  /** Stops every watch (call it on module shutdown, before the queue and Redis close). */
  close(): void {
    this.metrics.close();
  }
}
