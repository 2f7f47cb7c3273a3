import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VisiwiseDeliveryAnswer } from './delivery-answer.interface';
import { DeliveryTrace, TRACER_NAME, VisiwiseTracing } from './visiwise-tracing';

const accepted: VisiwiseDeliveryAnswer = {
  outcome: 'accepted',
  reason: undefined,
  status: 200,
  deliveryId: 'msg_2Nq8',
  type: 'shipment.tracked',
  signedAt: new Date(),
};

const event = { id: 'msg_2Nq8', type: 'shipment.tracked' };
const ok = () => Promise.resolve({ ok: true, handlerCount: 2 });

describe('VisiwiseTracing', () => {
  describe('without an OpenTelemetry SDK (the API alone is a no-op)', () => {
    it('starts nothing, carries nothing, and still runs the handlers', async () => {
      const tracing = VisiwiseTracing.create(api);
      expect(tracing.enabled).toBe(true);
      const trace = tracing.beginDelivery();
      expect(trace).toBeUndefined();
      tracing.endDelivery(trace, accepted);
      expect(tracing.carrier(trace)).toBeUndefined();
      await expect(
        tracing.handle(
          event,
          'shipment.tracked',
          { mode: 'inline', attempt: 1, parent: trace },
          ok,
        ),
      ).resolves.toEqual({ ok: true, handlerCount: 2 });
    });
  });

  describe('disabled', () => {
    it('does nothing and returns what the handlers resolve', async () => {
      const tracing = VisiwiseTracing.disabled();
      expect(tracing.enabled).toBe(false);
      expect(tracing.beginDelivery()).toBeUndefined();
      expect(tracing.carrier(undefined)).toBeUndefined();
      const result = { ok: false, handlerCount: 1, error: new Error('x') };
      await expect(
        tracing.handle(
          event,
          'shipment.tracked',
          { mode: 'queue', attempt: 3, parent: { traceparent: 'x' } },
          () => Promise.resolve(result),
        ),
      ).resolves.toBe(result);
    });
  });

  describe('with an OpenTelemetry SDK', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const contextManager = new AsyncLocalStorageContextManager();
    let tracing: VisiwiseTracing;

    beforeAll(() => {
      // Created before the SDK is registered, as the module may be: the API's proxy tracer follows.
      tracing = VisiwiseTracing.create(api);
      api.context.setGlobalContextManager(contextManager.enable());
      api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      api.trace.setGlobalTracerProvider(provider);
    });

    afterEach(() => {
      exporter.reset();
    });

    afterAll(async () => {
      await provider.shutdown();
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    });

    const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
    const named = (name: string): ReadableSpan => {
      const found = spans().filter((span) => span.name === name);
      expect(found).toHaveLength(1);
      return found[0]!;
    };

    it('records one SERVER span per request with the answer as attributes', () => {
      const trace = tracing.beginDelivery();
      expect(trace).toBeInstanceOf(DeliveryTrace);
      expect(spans()).toHaveLength(0);
      tracing.endDelivery(trace, accepted);

      const span = named('visiwise.receive');
      expect(span.kind).toBe(api.SpanKind.SERVER);
      expect(span.instrumentationScope.name).toBe(TRACER_NAME);
      expect(span.attributes).toEqual({
        'visiwise.delivery_id': 'msg_2Nq8',
        'visiwise.event_type': 'shipment.tracked',
        'visiwise.outcome': 'accepted',
        'http.response.status_code': 200,
      });
      expect(span.status.code).toBe(api.SpanStatusCode.UNSET);
    });

    it('nests the receive span under the active span (the HTTP server span)', () => {
      const http = api.trace.getTracer('http').startSpan('POST /webhooks/visiwise');
      api.context.with(api.trace.setSpan(api.context.active(), http), () => {
        tracing.endDelivery(tracing.beginDelivery(), accepted);
      });
      http.end();
      const receive = named('visiwise.receive');
      expect(receive.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    });

    it('marks a 5xx answer as an error, but not a refused (4xx) request', () => {
      tracing.endDelivery(tracing.beginDelivery(), {
        ...accepted,
        outcome: 'rejected',
        reason: 'queue_unavailable',
        status: 503,
      });
      tracing.endDelivery(tracing.beginDelivery(), {
        outcome: 'rejected',
        reason: 'invalid_signature',
        status: 401,
        deliveryId: undefined,
        type: undefined,
        signedAt: undefined,
      });
      const [unavailable, forged] = spans();
      expect(unavailable!.status).toEqual({
        code: api.SpanStatusCode.ERROR,
        message: 'queue_unavailable',
      });
      expect(forged!.status.code).toBe(api.SpanStatusCode.UNSET);
      expect(forged!.attributes).toEqual({
        'visiwise.outcome': 'rejected',
        'visiwise.reason': 'invalid_signature',
        'http.response.status_code': 401,
      });
    });

    it('makes the worker handler span a child of the receive span across a job carrier', async () => {
      const trace = tracing.beginDelivery();
      const carrier = tracing.carrier(trace);
      tracing.endDelivery(trace, accepted);
      expect(carrier).toEqual({
        traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      });

      // The job goes through Redis as JSON and is handled later, outside any request context.
      const restored = JSON.parse(JSON.stringify(carrier)) as Record<string, string>;
      await api.context.with(api.ROOT_CONTEXT, () =>
        tracing.handle(
          event,
          'shipment.tracked',
          { mode: 'queue', attempt: 2, parent: restored },
          ok,
        ),
      );

      const receive = named('visiwise.receive');
      const handle = named('visiwise.handle shipment.tracked');
      expect(handle.kind).toBe(api.SpanKind.CONSUMER);
      expect(handle.spanContext().traceId).toBe(receive.spanContext().traceId);
      expect(handle.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
      expect(handle.attributes).toEqual({
        'visiwise.delivery_id': 'msg_2Nq8',
        'visiwise.event_type': 'shipment.tracked',
        'visiwise.handling_mode': 'queue',
        'visiwise.attempt': 2,
        'visiwise.handler_count': 2,
        'visiwise.outcome': 'ok',
      });
    });

    it('runs in-process handlers in an INTERNAL span, active across awaits, so their spans nest', async () => {
      const trace = tracing.beginDelivery();
      const result = await tracing.handle(
        { id: 'msg_1', type: 'shipment.custom' },
        'other',
        { mode: 'background', attempt: 1, parent: trace },
        async () => {
          await sleep(1);
          api.trace.getTracer('app').startSpan('ShipmentsService.onTracked').end();
          return { ok: true, handlerCount: 1 };
        },
      );
      tracing.endDelivery(trace, accepted);

      expect(result).toEqual({ ok: true, handlerCount: 1 });
      const receive = named('visiwise.receive');
      const handle = named('visiwise.handle other');
      const app = named('ShipmentsService.onTracked');
      expect(handle.kind).toBe(api.SpanKind.INTERNAL);
      expect(handle.attributes['visiwise.event_type']).toBe('shipment.custom');
      expect(handle.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
      expect(app.parentSpanContext?.spanId).toBe(handle.spanContext().spanId);
    });

    it('records a failed run as an error with the message only', async () => {
      const failure = new Error('carrier API timed out');
      await tracing.handle(
        event,
        'shipment.tracked',
        { mode: 'inline', attempt: 1, parent: undefined },
        () => Promise.resolve({ ok: false, handlerCount: 1, error: failure }),
      );

      const span = named('visiwise.handle shipment.tracked');
      expect(span.status).toEqual({
        code: api.SpanStatusCode.ERROR,
        message: 'carrier API timed out',
      });
      expect(span.attributes['visiwise.outcome']).toBe('failed');
      expect(span.events).toHaveLength(1);
      expect(span.events[0]!.name).toBe('exception');
      expect(span.events[0]!.attributes).toEqual({
        'exception.type': 'Error',
        'exception.message': 'carrier API timed out',
      });
    });

    it('ends the span and passes the rejection on if run rejects after all', async () => {
      const broken = tracing.handle(
        event,
        'shipment.tracked',
        { mode: 'inline', attempt: 1, parent: undefined },
        () => Promise.reject(new Error('bug')),
      );
      await expect(broken).rejects.toThrow('bug');
      const span = named('visiwise.handle shipment.tracked');
      expect(span.status.code).toBe(api.SpanStatusCode.ERROR);
      expect(span.attributes['visiwise.outcome']).toBe('failed');
    });
  });
});
