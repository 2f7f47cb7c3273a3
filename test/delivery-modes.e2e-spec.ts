import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  VISIWISE_DELIVERY_FAILED_EVENT,
  VisiwiseDeliveryFailure,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import { backgroundFailedLogMessage } from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import { handlerFailedLogMessage } from '../libs/visiwise-webhook/src/events/events.messages';
import { ADAPTERS } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import {
  REDIS_AVAILABLE,
  REDIS_URL,
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniqueName,
  waitFor,
} from './support/redis';
import {
  WebhookTestApp,
  createWebhookTestApp,
  latch,
  sendSigned,
} from './support/webhook-test-app';

const send = sendSigned;

type StoreCase = { name: string; options: () => VisiwiseWebhookModuleOptions; needsRedis: boolean };

const STORES: StoreCase[] = [
  { name: 'memory store', options: () => ({}), needsRedis: false },
  {
    name: 'redis store',
    options: () => ({
      redis: REDIS_URL,
      idempotency: { store: 'redis', keyPrefix: `${uniqueName('dedupe')}:` },
    }),
    needsRedis: true,
  },
];

describe.each(ADAPTERS)('delivery modes on %s', (adapter) => {
  describe.each(STORES)('inline mode, $name', ({ options, needsRedis }) => {
    const run = needsRedis && !REDIS_AVAILABLE ? it.skip : it;
    const secret = generateVisiwiseWebhookSecret();
    let t: WebhookTestApp;
    let moduleOptions: VisiwiseWebhookModuleOptions;

    beforeEach(async () => {
      moduleOptions = options();
      if (needsRedis && !REDIS_AVAILABLE) return;
      t = await createWebhookTestApp({ adapter, registration: 'forRoot', secret, moduleOptions });
    });
    afterEach(async () => {
      if (needsRedis && !REDIS_AVAILABLE) return;
      await t.close();
      t.logger.assertNoUnexpected();
      if (moduleOptions.idempotency?.keyPrefix) {
        const client = testRedisClient();
        await deleteKeys(client, moduleOptions.idempotency.keyPrefix);
        await client.quit();
      }
    });

    run('runs the handler once for the same event delivered 50 times concurrently', async () => {
      const body = JSON.stringify(shipmentTracked());
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => send(t, secret, 'msg_fifty', body)),
      );
      const statuses = responses.map((r) => r.status);
      expect(t.handlers.calls).toEqual(['msg_fifty']);
      // Each copy is either the one handled, a duplicate of it, or refused while it ran (409).
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
      expect(
        responses.filter((r) => r.status === 200 && r.body.status === 'received'),
      ).toHaveLength(1);
      for (const conflict of responses.filter((r) => r.status === 409)) {
        expect(conflict.body.reason).toBe('delivery_in_progress');
      }
      // Svix's later retry is acknowledged as a duplicate without running the handler.
      const retry = await send(t, secret, 'msg_fifty', body);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual({ status: 'duplicate' });
      expect(t.handlers.calls).toEqual(['msg_fifty']);
    });

    run(
      'answers 409 to a duplicate that arrives while the first copy is being handled',
      async () => {
        const gate = latch();
        t.handlers.gate = gate.promise;
        const first = send(t, secret, 'msg_slow').then((r) => r);
        await waitFor(() => t.handlers.calls.length === 1, 5000, 'the first copy to start');
        const second = await send(t, secret, 'msg_slow');
        expect(second.status).toBe(409);
        expect(second.body.reason).toBe('delivery_in_progress');
        gate.open();
        expect((await first).status).toBe(200);
        expect(t.handlers.calls).toEqual(['msg_slow']);
      },
    );

    run('lets the retry of a failed delivery handle it (claim released on failure)', async () => {
      t.handlers.failTimes = 1;
      const failed = await send(t, secret, 'msg_flaky');
      expect(failed.status).toBe(500);
      expect(
        t.logger.take('error', handlerFailedLogMessage('msg_flaky', 'shipment.tracked', 2)),
      ).toHaveLength(1);
      const retried = await send(t, secret, 'msg_flaky');
      expect(retried.status).toBe(200);
      expect(retried.body).toEqual({ status: 'received' });
      expect(t.handlers.tracked.map((e) => e.id)).toEqual(['msg_flaky']);
      expect(t.handlers.calls).toEqual(['msg_flaky', 'msg_flaky']);
    });
  });

  describe('background mode', () => {
    const secret = generateVisiwiseWebhookSecret();

    @Injectable()
    class FailureWatcher {
      readonly failures: VisiwiseDeliveryFailure[] = [];
      @OnEvent(VISIWISE_DELIVERY_FAILED_EVENT)
      onFailure(failure: VisiwiseDeliveryFailure): void {
        this.failures.push(failure);
      }
    }

    it('acknowledges before the handler finishes, then handles it', async () => {
      const t = await createWebhookTestApp({
        adapter,
        registration: 'forRootAsync',
        secret,
        moduleOptions: { delivery: 'background' },
      });
      try {
        const gate = latch();
        t.handlers.gate = gate.promise;
        const response = await send(t, secret, 'msg_bg');
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ status: 'received' });
        expect(t.handlers.tracked).toHaveLength(0);
        gate.open();
        await waitFor(() => t.handlers.tracked.length === 1, 5000, 'the background handler');
        expect((await send(t, secret, 'msg_bg')).body).toEqual({ status: 'duplicate' });
        expect(t.handlers.calls).toEqual(['msg_bg']);
      } finally {
        await t.close();
      }
      t.logger.assertNoUnexpected();
    });

    it('reports a failure through VISIWISE_DELIVERY_FAILED_EVENT and the log, and releases the claim', async () => {
      const t = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        moduleOptions: { delivery: 'background' },
        providers: [FailureWatcher],
      });
      try {
        t.handlers.failTimes = 1;
        expect((await send(t, secret, 'msg_bg_fail')).status).toBe(200);
        const watcher = t.app.get(FailureWatcher);
        await waitFor(() => watcher.failures.length === 1, 5000, 'the failure event');
        expect(watcher.failures[0]!.event.id).toBe('msg_bg_fail');
        expect(watcher.failures[0]!.mode).toBe('background');
        expect(String(watcher.failures[0]!.errors[0])).toContain('transient handler failure');
        expect(
          t.logger.take('error', backgroundFailedLogMessage('msg_bg_fail', 'shipment.tracked')),
        ).toHaveLength(1);
        // The claim was released: a manual resend of the same delivery is handled.
        expect((await send(t, secret, 'msg_bg_fail')).body).toEqual({ status: 'received' });
        await waitFor(() => t.handlers.tracked.length === 1, 5000, 'the resend');
      } finally {
        await t.close();
      }
      t.logger.assertNoUnexpected();
    });

    it('waits for in-flight background handlers on shutdown', async () => {
      const t = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        moduleOptions: { delivery: 'background' },
      });
      const gate = latch();
      t.handlers.gate = gate.promise;
      expect((await send(t, secret, 'msg_bg_drain')).status).toBe(200);
      await waitFor(() => t.handlers.calls.length === 1, 5000, 'the handler to start');
      const closed = t.close();
      setTimeout(gate.open, 100);
      await closed;
      expect(t.handlers.tracked.map((e) => e.id)).toEqual(['msg_bg_drain']);
      t.logger.assertNoUnexpected();
    });
  });

  describeWithRedis('two instances sharing Redis (inline mode)', () => {
    it('runs the handler exactly once for 50 copies split across both instances', async () => {
      const secret = generateVisiwiseWebhookSecret();
      const keyPrefix = `${uniqueName('shared')}:`;
      const moduleOptions: VisiwiseWebhookModuleOptions = {
        redis: REDIS_URL,
        idempotency: { keyPrefix },
      };
      const a = await createWebhookTestApp({
        adapter,
        registration: 'forRoot',
        secret,
        moduleOptions,
      });
      const b = await createWebhookTestApp({
        adapter,
        registration: 'forRootAsync',
        secret,
        moduleOptions,
      });
      try {
        const body = JSON.stringify(shipmentTracked());
        const responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            send(i % 2 === 0 ? a : b, secret, 'msg_split', body),
          ),
        );
        expect([...a.handlers.calls, ...b.handlers.calls]).toEqual(['msg_split']);
        expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
        const retryOnOther = await send(
          a.handlers.calls.length === 1 ? b : a,
          secret,
          'msg_split',
          body,
        );
        expect(retryOnOther.body).toEqual({ status: 'duplicate' });
        expect([...a.handlers.calls, ...b.handlers.calls]).toEqual(['msg_split']);
      } finally {
        await a.close();
        await b.close();
        const client = testRedisClient();
        await deleteKeys(client, keyPrefix);
        await client.quit();
      }
      a.logger.assertNoUnexpected();
      b.logger.assertNoUnexpected();
    });
  });
});
