import type { Context, Span, Tracer } from '@opentelemetry/api';
import { cliVersion } from '../cli/cli-version';
import type { VisiwiseDeliveryAnswer, VisiwiseHandlingMode } from './delivery-answer.interface';
import type { OpenTelemetryApiModule } from './observability-packages';

/** Name (instrumentation scope) of this package's tracer. */
export const TRACER_NAME = 'nestjs-visiwise-webhook';

/** Name of the span of one request to the webhook endpoint. */
export const RECEIVE_SPAN_NAME = 'visiwise.receive';

/** Name prefix of the span of one run of an event's handlers (`visiwise.handle <type>`). */
export const HANDLE_SPAN_NAME = 'visiwise.handle';

/** Span attribute names of this package. */
export const VisiwiseSpanAttributes = {
  DELIVERY_ID: 'visiwise.delivery_id',
  EVENT_TYPE: 'visiwise.event_type',
  OUTCOME: 'visiwise.outcome',
  REASON: 'visiwise.reason',
  HANDLING_MODE: 'visiwise.handling_mode',
  ATTEMPT: 'visiwise.attempt',
  HANDLER_COUNT: 'visiwise.handler_count',
  HTTP_STATUS: 'http.response.status_code',
} as const;

/** The trace context of a queued job: W3C `traceparent` / `tracestate` (or what the propagator writes). */
export type VisiwiseTraceCarrier = Readonly<Record<string, string>>;

/**
 * The receive span of one request, and the context that holds it (the parent of the handler span
 * in this process). Opaque to the receive path: it is passed back to the telemetry as it is.
 */
export class DeliveryTrace {
  /** @internal */
  constructor(
    /** The `visiwise.receive` span. */
    readonly span: Span,
    /** The context in which that span is the active one. */
    readonly context: Context,
  ) {}
}

/** What one run of an event's handlers resolves to. */
export interface VisiwiseHandlingResult {
  /** Whether every handler succeeded. */
  readonly ok: boolean;
  /** How many handlers ran. */
  readonly handlerCount: number;
  /** The first failure, when not ok (only its message is recorded). */
  readonly error?: unknown;
}

/** The event and circumstances of one run of its handlers. */
export interface VisiwiseHandlingContext {
  /** The delivery mode that runs the handlers. */
  readonly mode: VisiwiseHandlingMode;
  /** 1 for the first attempt; queue mode retries count up. */
  readonly attempt: number;
  /** The receive trace (in this process) or the carrier stored with a queued job. */
  readonly parent: DeliveryTrace | VisiwiseTraceCarrier | undefined;
}

function errorMessage(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

/**
 * The OpenTelemetry spans of the webhook module, through `@opentelemetry/api` only: the
 * application owns the SDK, the exporter and the propagator (W3C trace context in the usual SDK
 * setups). Without a registered SDK every span is a no-op and {@link beginDelivery} returns
 * `undefined`; a disabled instance does nothing.
 */
export class VisiwiseTracing {
  private constructor(
    private readonly api: OpenTelemetryApiModule | undefined,
    private readonly tracer: Tracer | undefined,
  ) {}

  /**
   * Traces through the given API module. The tracer is the API's proxy tracer, so an SDK
   * registered after the module starts is still used.
   */
  static create(api: OpenTelemetryApiModule): VisiwiseTracing {
    return new VisiwiseTracing(api, api.trace.getTracer(TRACER_NAME, cliVersion()));
  }

  /** Tracing that records nothing. */
  static disabled(): VisiwiseTracing {
    return new VisiwiseTracing(undefined, undefined);
  }

  /** Whether this instance traces at all. */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /**
   * Starts the receive span as a child of the active context (the HTTP server span, when the
   * application instruments HTTP). `undefined` when there is nothing to record or propagate.
   */
  beginDelivery(): DeliveryTrace | undefined {
    const { api, tracer } = this;
    if (api === undefined || tracer === undefined) {
      return undefined;
    }
    const active = api.context.active();
    const span = tracer.startSpan(RECEIVE_SPAN_NAME, { kind: api.SpanKind.SERVER }, active);
    // Without an SDK the span is a shared no-op: nothing to end or to carry to a job. A sampled-out
    // span of a real SDK still has a valid context, which must travel so the worker agrees.
    if (!span.isRecording() && !api.isSpanContextValid(span.spanContext())) {
      return undefined;
    }
    return new DeliveryTrace(span, api.trace.setSpan(active, span));
  }

  /** Ends the receive span with the answer's attributes; 5xx answers mark it as an error. */
  endDelivery(trace: DeliveryTrace | undefined, answer: VisiwiseDeliveryAnswer): void {
    const api = this.api;
    if (trace === undefined || api === undefined) {
      return;
    }
    const span = trace.span;
    if (span.isRecording()) {
      span.setAttribute(VisiwiseSpanAttributes.OUTCOME, answer.outcome);
      span.setAttribute(VisiwiseSpanAttributes.HTTP_STATUS, answer.status);
      if (answer.deliveryId !== undefined) {
        span.setAttribute(VisiwiseSpanAttributes.DELIVERY_ID, answer.deliveryId);
      }
      if (answer.type !== undefined) {
        span.setAttribute(VisiwiseSpanAttributes.EVENT_TYPE, answer.type);
      }
      if (answer.reason !== undefined) {
        span.setAttribute(VisiwiseSpanAttributes.REASON, answer.reason);
      }
      // Semantic conventions for server spans: only 5xx is the server's error; a 4xx is the
      // sender's (a forged or stale request is not a fault of this service).
      if (answer.status >= 500) {
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: answer.reason ?? 'error' });
      }
    }
    span.end();
  }

  /** The receive span's context serialised by the global propagator, for a queued job. */
  carrier(trace: DeliveryTrace | undefined): VisiwiseTraceCarrier | undefined {
    const api = this.api;
    if (trace === undefined || api === undefined) {
      return undefined;
    }
    const carrier: Record<string, string> = {};
    api.propagation.inject(trace.context, carrier);
    return Object.keys(carrier).length > 0 ? carrier : undefined;
  }

  /**
   * Runs `run` inside a `visiwise.handle <typeLabel>` span (CONSUMER in queue mode, INTERNAL
   * otherwise), child of the receive span or of the carrier's context, and active while `run`
   * executes so that spans the handlers create nest under it.
   */
  handle<T extends VisiwiseHandlingResult>(
    event: { readonly id: string; readonly type: string },
    typeLabel: string,
    handling: VisiwiseHandlingContext,
    run: () => Promise<T>,
  ): Promise<T> {
    const { api, tracer } = this;
    // Not `async`: without a span to record (no SDK, the usual case) `run`'s own promise is
    // handed back as it is, instead of being wrapped in one more promise per delivery.
    if (api === undefined || tracer === undefined) {
      return run();
    }
    const parent = this.parentContext(api, handling.parent);
    const span = tracer.startSpan(
      `${HANDLE_SPAN_NAME} ${typeLabel}`,
      {
        kind: handling.mode === 'queue' ? api.SpanKind.CONSUMER : api.SpanKind.INTERNAL,
        attributes: {
          [VisiwiseSpanAttributes.DELIVERY_ID]: event.id,
          [VisiwiseSpanAttributes.EVENT_TYPE]: event.type,
          [VisiwiseSpanAttributes.HANDLING_MODE]: handling.mode,
          [VisiwiseSpanAttributes.ATTEMPT]: handling.attempt,
        },
      },
      parent,
    );
    if (!span.isRecording() && !api.isSpanContextValid(span.spanContext())) {
      return run();
    }
    return this.traced(api, span, api.trace.setSpan(parent, span), run);
  }

  /** Runs `run` with `span` active, then records its outcome on the span and ends it. */
  private async traced<T extends VisiwiseHandlingResult>(
    api: OpenTelemetryApiModule,
    span: Span,
    active: Context,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await api.context.with(active, run);
      span.setAttribute(VisiwiseSpanAttributes.HANDLER_COUNT, result.handlerCount);
      span.setAttribute(VisiwiseSpanAttributes.OUTCOME, result.ok ? 'ok' : 'failed');
      if (!result.ok) {
        this.fail(api, span, result.error);
      }
      return result;
    } catch (error) {
      // `run` should never reject; if it does, the span still says so and ends.
      span.setAttribute(VisiwiseSpanAttributes.OUTCOME, 'failed');
      this.fail(api, span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  private fail(api: OpenTelemetryApiModule, span: Span, error: unknown): void {
    if (error === undefined) {
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      return;
    }
    // The name and message only: a stack or a payload has no place in an exported trace.
    const { name, message } = errorMessage(error);
    span.recordException({ name, message });
    span.setStatus({ code: api.SpanStatusCode.ERROR, message });
  }

  private parentContext(
    api: OpenTelemetryApiModule,
    parent: DeliveryTrace | VisiwiseTraceCarrier | undefined,
  ): Context {
    if (parent instanceof DeliveryTrace) {
      return parent.context;
    }
    if (parent !== undefined) {
      return api.propagation.extract(api.context.active(), parent);
    }
    return api.context.active();
  }
}
