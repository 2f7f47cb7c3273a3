import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { AppModule } from '../apps/sample/src/app.module';
import type { TrackedShipment } from '../apps/sample/src/shipments/shipments.service';
import { ADAPTERS, createHttpApp } from './support/adapters';
import { CapturingLogger } from './support/capturing-logger';
import { shipmentTracked } from './support/payloads';

describe.each(ADAPTERS)('sample app on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  const saved = process.env['VISIWISE_WEBHOOK_SECRET'];

  beforeAll(() => {
    process.env['VISIWISE_WEBHOOK_SECRET'] = secret;
  });
  afterAll(() => {
    if (saved === undefined) Reflect.deleteProperty(process.env, 'VISIWISE_WEBHOOK_SECRET');
    else process.env['VISIWISE_WEBHOOK_SECRET'] = saved;
  });

  it('lists a signed shipment.tracked delivery under GET /shipments with its event id', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const logger = new CapturingLogger();
    const app = await createHttpApp(moduleRef, adapter, { logger });
    try {
      const server = app.getHttpServer();
      await request(server).get('/health').expect(200, { status: 'ok' });
      await request(server).get('/shipments').expect(200, []);

      const payload = shipmentTracked('HLXU1357904');
      const body = JSON.stringify(payload);
      const headers = signVisiwiseWebhook({ secret, payload: body, id: 'msg_sample_1' });
      await request(server)
        .post('/webhooks/visiwise')
        .set('content-type', 'application/json')
        .set({ ...headers })
        .send(body)
        .expect(200, { status: 'received' });

      const listed = await request(server).get('/shipments').expect(200);
      const shipments = listed.body as TrackedShipment[];
      expect(shipments).toHaveLength(1);
      expect(shipments[0]).toMatchObject({
        eventId: 'msg_sample_1',
        trackingReference: 'HLXU1357904',
        status: 'Track-Succeeded',
        carrier: 'MSC',
        arrival: { at: '2025-10-21T14:00:00Z', isActual: false },
      });

      // A forged delivery is refused and does not show up.
      const forged = signVisiwiseWebhook({
        secret: generateVisiwiseWebhookSecret(),
        payload: body,
      });
      await request(server)
        .post('/webhooks/visiwise')
        .set('content-type', 'application/json')
        .set({ ...forged })
        .send(body)
        .expect(401);
      expect((await request(server).get('/shipments')).body).toHaveLength(1);
      logger.assertNoUnexpected();
    } finally {
      await app.close();
    }
  });
});
