import { createHmac } from 'node:crypto';
import request from 'supertest';
import { VisiwiseDeadLetterService } from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { ADAPTERS } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import { REGISTRATIONS, WebhookTestApp, createWebhookTestApp } from './support/webhook-test-app';
import {
  rawBodyUnavailableLogMessage,
  unsupportedMediaTypeMessage,
} from '../libs/visiwise-webhook/src/http/http.messages';
import {
  handlerFailedLogMessage,
  unknownTypeLogMessage,
} from '../libs/visiwise-webhook/src/events/events.messages';

const PATH = '/webhooks/visiwise';

describe.each(ADAPTERS)('webhook endpoint on %s', (adapter) => {
  describe.each(REGISTRATIONS)('registered with %s', (registration) => {
    const secret = generateVisiwiseWebhookSecret();
    let t: WebhookTestApp;

    beforeEach(async () => {
      t = await createWebhookTestApp({ adapter, registration, secret });
    });

    afterEach(async () => {
      await t.close();
      t.logger.assertNoUnexpected();
    });

    const post = (
      body: string,
      headers: Record<string, string>,
      contentType = 'application/json',
    ) =>
      request(t.app.getHttpServer())
        .post(PATH)
        .set('content-type', contentType)
        .set(headers)
        .send(body);

    const signed = (body: string, overrides: { secret?: string; timestamp?: number } = {}) =>
      post(body, {
        ...signVisiwiseWebhook({
          secret: overrides.secret ?? secret,
          payload: body,
          timestamp: overrides.timestamp,
        }),
      });

    it('answers 200 {"status":"received"} and hands the typed event to its handlers', async () => {
      const payload = shipmentTracked('MSCU1234566');
      const body = JSON.stringify(payload);
      const headers = signVisiwiseWebhook({ secret, payload: body, id: 'msg_e2e_valid' });
      const before = Date.now();

      const response = await post(body, { ...headers });

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'received' });
      expect(t.handlers.tracked).toHaveLength(1);
      const event = t.handlers.tracked[0]!;
      expect(event.id).toBe('msg_e2e_valid');
      expect(event.type).toBe('shipment.tracked');
      expect(event.data).toEqual(payload.data);
      expect(event.data.trackingReference).toBe('MSCU1234566');
      expect(event.timestamp.toISOString()).toBe(payload.timestamp);
      expect(event.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
      // Wildcard handlers see every event, known types included.
      expect(t.handlers.any.map((e) => e.id)).toEqual(['msg_e2e_valid']);
    });

    it('falls back to the signed svix-timestamp when the envelope has no timestamp', async () => {
      const body = JSON.stringify({ type: 'shipment.tracked', data: { trackingReference: 'X1' } });
      const timestamp = Math.floor(Date.now() / 1000) - 10;
      await signed(body, { timestamp }).expect(200);
      expect(t.handlers.tracked[0]!.timestamp.getTime()).toBe(timestamp * 1000);
    });

    it('verifies pretty-printed, non-ASCII JSON on its exact bytes', async () => {
      const payload = shipmentTracked('TGHU2468106');
      payload.data['note'] = 'Zürich → 上海 🚢';
      const body = JSON.stringify(payload, null, 2);

      await signed(body).expect(200);

      expect(t.handlers.tracked[0]!.data['note']).toBe('Zürich → 上海 🚢');
    });

    it('accepts a signature header listing a decoy before the valid signature', async () => {
      const body = JSON.stringify(shipmentTracked());
      const headers = signVisiwiseWebhook({ secret, payload: body });
      const decoy = `v1,${createHmac('sha256', 'decoy').update(body).digest('base64')}`;
      await post(body, {
        ...headers,
        'svix-signature': `${decoy} ${headers['svix-signature']}`,
      }).expect(200);
      expect(t.handlers.tracked).toHaveLength(1);
    });

    it.each([
      ['a tampered body', 'invalid_signature'],
      ['a wrong secret', 'invalid_signature'],
      ['a stale timestamp', 'timestamp_too_old'],
      ['a future timestamp', 'timestamp_too_new'],
      ['no signature header', 'missing_headers'],
      ['a non-numeric timestamp', 'invalid_timestamp'],
    ])('answers 401 for %s, with reason %s, and calls no handler', async (caseName, reason) => {
      const body = JSON.stringify(shipmentTracked());
      // Well past the 300 s window: the exact edges are unit-tested with a fixed clock, while here
      // the server reads its own clock, possibly a second later.
      const now = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = { ...signVisiwiseWebhook({ secret, payload: body }) };
      let sent = body;
      switch (caseName) {
        case 'a tampered body':
          sent = body.replace('MSCU1234566', 'MSCU1234567');
          break;
        case 'a wrong secret':
          Object.assign(
            headers,
            signVisiwiseWebhook({ secret: generateVisiwiseWebhookSecret(), payload: body }),
          );
          break;
        case 'a stale timestamp':
          Object.assign(
            headers,
            signVisiwiseWebhook({ secret, payload: body, timestamp: now - 400 }),
          );
          break;
        case 'a future timestamp':
          Object.assign(
            headers,
            signVisiwiseWebhook({ secret, payload: body, timestamp: now + 400 }),
          );
          break;
        case 'no signature header':
          delete headers['svix-signature'];
          break;
        case 'a non-numeric timestamp':
          headers['svix-timestamp'] = `${now}abc`;
          break;
      }

      const response = await post(sent, headers);

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', reason });
      expect(typeof response.body.message).toBe('string');
      expect(JSON.stringify(response.body)).not.toContain(secret);
      expect(t.handlers.tracked).toHaveLength(0);
      expect(t.handlers.any).toHaveLength(0);
    });

    it('answers 401 missing_headers when no webhook header is sent at all', async () => {
      const response = await post(JSON.stringify(shipmentTracked()), {});
      expect(response.status).toBe(401);
      expect(response.body.reason).toBe('missing_headers');
    });

    it.each([
      ['not valid JSON', '{"type":"shipment.tracked","data":', 'invalid_json'],
      ['a JSON array', '[1,2,3]', 'invalid_envelope'],
      ['no type', '{"data":{}}', 'invalid_envelope'],
      ['a numeric type', '{"type":42,"data":{}}', 'invalid_envelope'],
      ['no data', '{"type":"shipment.tracked"}', 'invalid_envelope'],
      ['array data', '{"type":"shipment.tracked","data":[]}', 'invalid_envelope'],
      ['a type with a wildcard', '{"type":"shipment.*","data":{}}', 'invalid_event_type'],
    ])(
      'acknowledges a signed body that is %s as unparseable, calling no handler (%s)',
      async (_name, body, reason) => {
        const response = await signed(body);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'unparseable' });
        expect(t.handlers.any).toHaveLength(0);
        const [kept] = await t.app.get(VisiwiseDeadLetterService).list();
        expect(kept?.delivery?.reason).toBe(reason);
        expect(t.logger.take('warn', `(${reason}); answered 200`)).toHaveLength(1);
      },
    );

    it('hands a shipment without trackingReference to its handler, with the issue listed', async () => {
      await signed('{"type":"shipment.tracked","data":{"id":"1"}}').expect(200, {
        status: 'received',
      });
      expect(t.handlers.tracked).toHaveLength(1);
      expect(t.handlers.tracked[0]?.issues).toHaveLength(1);
    });

    it('acknowledges an unknown event type, logs it once and emits it to wildcard handlers', async () => {
      const body = JSON.stringify({ type: 'vessel.departed', data: { vessel: 'MSC TESSA' } });
      await signed(body).expect(200, { status: 'received' });

      expect(t.handlers.tracked).toHaveLength(0);
      expect(t.handlers.any).toHaveLength(1);
      expect(t.handlers.any[0]!.type).toBe('vessel.departed');
      expect(t.handlers.any[0]!.data).toEqual({ vessel: 'MSC TESSA' });
      expect(t.logger.take('log', unknownTypeLogMessage('vessel.departed'))).toHaveLength(1);

      // Logged once per type, not once per delivery.
      await signed(body).expect(200);
      expect(t.logger.take('log', unknownTypeLogMessage('vessel.departed'))).toHaveLength(1);
    });

    it('answers 500 when a handler throws, and logs the error with the event id and type', async () => {
      t.handlers.failWith = new Error('database unavailable');
      const body = JSON.stringify(shipmentTracked());
      const headers = signVisiwiseWebhook({ secret, payload: body, id: 'msg_e2e_fails' });

      const response = await post(body, { ...headers });

      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ statusCode: 500, reason: 'handler_failed' });
      expect(JSON.stringify(response.body)).not.toContain('database unavailable');
      const logged = t.logger.take(
        'error',
        handlerFailedLogMessage('msg_e2e_fails', 'shipment.tracked', 2),
      );
      expect(logged).toHaveLength(1);
      expect(logged[0]!.text).toContain('database unavailable');
      // The wildcard handler still ran to completion: every handler is awaited.
      expect(t.handlers.any).toHaveLength(1);

      // Visiwise retries the same delivery; once the handler recovers it succeeds.
      t.handlers.failWith = undefined;
      const retry = signVisiwiseWebhook({ secret, payload: body, id: 'msg_e2e_fails' });
      await post(body, { ...retry }).expect(200);
      expect(t.handlers.tracked.map((e) => e.id)).toEqual(['msg_e2e_fails']);
    });

    it('answers 415 for a body that is not JSON, without calling handlers', async () => {
      const body = 'type=shipment.tracked';
      const headers = signVisiwiseWebhook({ secret, payload: body });
      const response = await post(body, { ...headers }, 'text/plain');
      expect(response.status).toBe(415);
      expect(t.handlers.any).toHaveLength(0);
      expect(response.body.reason).toBe('unsupported_media_type');
      expect(response.body.message).toBe(unsupportedMediaTypeMessage());
    });

    it.each(['application/xml', 'application/vnd.api+json'])(
      'answers 415 (never 500) for Content-Type %s',
      async (contentType) => {
        const body = JSON.stringify(shipmentTracked());
        const response = await post(
          body,
          { ...signVisiwiseWebhook({ secret, payload: body }) },
          contentType,
        );
        // Fastify refuses media types it has no parser for before any route code runs.
        expect(response.status).toBe(415);
        expect(t.handlers.any).toHaveLength(0);
      },
    );

    it('never answers 201 or 3xx to a POST, and does not route GET', async () => {
      const ok = await signed(JSON.stringify(shipmentTracked()));
      expect(ok.status).toBe(200);
      const get = await request(t.app.getHttpServer()).get(PATH);
      expect(get.status).toBe(404);
    });
  });

  describe('misconfiguration', () => {
    const secret = generateVisiwiseWebhookSecret();

    it('answers 500 when the app was created without rawBody, and logs the fix once', async () => {
      const t = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        rawBody: false,
      });
      try {
        const body = JSON.stringify(shipmentTracked());
        for (let i = 0; i < 2; i++) {
          const response = await request(t.app.getHttpServer())
            .post(PATH)
            .set('content-type', 'application/json')
            .set({ ...signVisiwiseWebhook({ secret, payload: body }) })
            .send(body);
          expect(response.status).toBe(500);
          expect(response.body.reason).toBe('raw_body_unavailable');
        }
        expect(t.logger.take('error', rawBodyUnavailableLogMessage())).toHaveLength(1);
        expect(t.handlers.any).toHaveLength(0);
      } finally {
        await t.close();
      }
      t.logger.assertNoUnexpected();
    });

    it('serves the endpoint on a custom path', async () => {
      const t = await createWebhookTestApp({
        adapter,
        registration: 'forRootAsync',
        secret,
        extras: { path: 'hooks/tracking' },
      });
      try {
        const body = JSON.stringify(shipmentTracked());
        const headers = { ...signVisiwiseWebhook({ secret, payload: body }) };
        const server = t.app.getHttpServer();
        await request(server)
          .post('/hooks/tracking')
          .set('content-type', 'application/json')
          .set(headers)
          .send(body)
          .expect(200);
        await request(server)
          .post(PATH)
          .set('content-type', 'application/json')
          .set(headers)
          .send(body)
          .expect(404);
        expect(t.handlers.tracked).toHaveLength(1);
      } finally {
        await t.close();
      }
    });
  });
});
