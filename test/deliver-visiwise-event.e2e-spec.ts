import type { Server } from 'node:net';
import {
  buildShipmentArrivalTimeChanged,
  buildShipmentContainerMovement,
  buildShipmentTracked,
  buildShipmentTrackedBillOfLading,
  buildShipmentTrackedBooking,
  buildShipmentTrackedFailed,
  buildShipmentTrackingFailed,
  deliverVisiwiseEvent,
  generateVisiwiseWebhookSecret,
  VisiwiseEventEnvelope,
} from 'nestjs-visiwise-webhook/testing';
import type { VisiwiseDeliveryTarget } from 'nestjs-visiwise-webhook/testing';
import { noHttpServerMessage } from '../libs/visiwise-webhook/src/testing/testing.messages';
import { ADAPTERS } from './support/adapters';
import { KitApp, createKitApp } from './support/developer-kit-app';

const ENVELOPES: readonly (readonly [string, () => VisiwiseEventEnvelope])[] = [
  ['container in transit', () => buildShipmentTracked()],
  ['bill of lading', () => buildShipmentTrackedBillOfLading()],
  ['booking', () => buildShipmentTrackedBooking()],
  ['failed lookup', () => buildShipmentTrackedFailed()],
  ['tracking failed (inferred)', () => buildShipmentTrackingFailed()],
  ['arrival time changed (inferred)', () => buildShipmentArrivalTimeChanged()],
  ['container movement (inferred)', () => buildShipmentContainerMovement()],
];

describe.each(ADAPTERS)('deliverVisiwiseEvent on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();

  describe('to an initialised app (not listening)', () => {
    let kit: KitApp;
    beforeEach(async () => {
      kit = await createKitApp(adapter, secret);
    });
    afterEach(async () => {
      await kit.app.close();
      kit.logger.assertNoUnexpected();
    });

    it.each(ENVELOPES)(
      'delivers the %s fixture to its typed handler in one line',
      async (_n, build) => {
        const envelope = build();
        const response = await deliverVisiwiseEvent(kit.app, { secret, event: envelope });

        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'received' });
        expect(response.text).toBe('{"status":"received"}');
        expect(response.id).toMatch(/^msg_/);
        expect(kit.handlers.known).toHaveLength(1);
        expect(kit.handlers.known[0]).toMatchObject({
          id: response.id,
          type: envelope.type,
          data: envelope.data,
          timestamp: new Date(envelope.timestamp),
        });
        // The helper made the server listen for the request only.
        expect((kit.app.getHttpServer() as Server).listening).toBe(false);
      },
    );

    it('uses the given id and signing time, and shares the server between concurrent deliveries', async () => {
      const timestamp = Math.floor(Date.now() / 1000) - 30;
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          deliverVisiwiseEvent(kit.app, {
            secret,
            event: buildShipmentTracked({ trackingReference: `REF-${index}` }),
            id: `msg_concurrent_${index}`,
            timestamp,
          }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(kit.handlers.tracked.map((e) => e.id).sort()).toEqual(
        responses.map((r) => r.id).sort(),
      );
      expect((kit.app.getHttpServer() as Server).listening).toBe(false);
      // And it can listen again afterwards.
      expect(
        (await deliverVisiwiseEvent(kit.app, { secret, event: buildShipmentTracked() })).status,
      ).toBe(200);
    });

    it('reports refusals as the endpoint answers them', async () => {
      const forged = await deliverVisiwiseEvent(kit.app, {
        secret: generateVisiwiseWebhookSecret(),
        event: buildShipmentTracked(),
      });
      expect(forged.status).toBe(401);
      expect(forged.body).toMatchObject({ reason: 'invalid_signature' });

      const stale = await deliverVisiwiseEvent(kit.app, {
        secret,
        event: buildShipmentTracked(),
        timestamp: new Date(Date.now() - 3_600_000),
      });
      expect(stale.body).toMatchObject({ statusCode: 401, reason: 'timestamp_too_old' });

      // A signed payload with issues is not a refusal: its handler gets it, issues listed.
      const withIssues = await deliverVisiwiseEvent(kit.app, {
        secret,
        event: buildShipmentTracked({ trackingReference: '' }),
      });
      expect(withIssues.body).toEqual({ status: 'received' });
      expect(kit.handlers.any).toHaveLength(1);
      kit.handlers.any.length = 0;

      const text = await deliverVisiwiseEvent(kit.app, {
        secret,
        event: buildShipmentTracked(),
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      expect(kit.handlers.any).toHaveLength(0);
    });

    it('sends a string body exactly as given', async () => {
      const body =
        '{ "type": "shipment.tracked",\n  "data": { "trackingReference": "TGHU2468106" } }';
      const response = await deliverVisiwiseEvent(kit.app, { secret, event: body });
      expect(response.status).toBe(200);
      expect(kit.handlers.tracked[0]?.data).toEqual({ trackingReference: 'TGHU2468106' });
    });

    it('refuses something that is not a Nest HTTP application', async () => {
      const notHttp: VisiwiseDeliveryTarget = {
        getHttpServer: () => undefined,
        getHttpAdapter: () => kit.app.getHttpAdapter(),
      };
      await expect(
        deliverVisiwiseEvent(notHttp, { secret, event: buildShipmentTracked() }),
      ).rejects.toThrow(new TypeError(noHttpServerMessage()));
    });
  });

  it('delivers to a listening app with a global prefix, and leaves it listening', async () => {
    const kit = await createKitApp(adapter, secret, { listen: true, globalPrefix: 'api' });
    try {
      const missed = await deliverVisiwiseEvent(kit.app, { secret, event: buildShipmentTracked() });
      expect(missed.status).toBe(404);
      const response = await deliverVisiwiseEvent(kit.app, {
        secret,
        event: buildShipmentTracked(),
        path: '/api/webhooks/visiwise',
      });
      expect(response.status).toBe(200);
      expect(kit.handlers.tracked).toHaveLength(1);
      expect((kit.app.getHttpServer() as Server).listening).toBe(true);
      kit.logger.assertNoUnexpected();
    } finally {
      await kit.app.close();
    }
  });
});
