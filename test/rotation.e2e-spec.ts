import request from 'supertest';
import type { VisiwiseSecretInput } from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseEd25519KeyPair,
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
  SignVisiwiseWebhookInput,
} from 'nestjs-visiwise-webhook/testing';
import { ADAPTERS } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import { createWebhookTestApp } from './support/webhook-test-app';

const PATH = '/webhooks/visiwise';

describe.each(ADAPTERS)('key rotation and asymmetric keys over HTTP (%s)', (adapter) => {
  /** Starts an app with these secrets, sends one delivery per signer, returns the statuses. */
  async function statuses(
    secrets: VisiwiseSecretInput[],
    signers: Omit<SignVisiwiseWebhookInput, 'payload'>[],
  ): Promise<number[]> {
    const t = await createWebhookTestApp({
      adapter,
      registration: 'forRoot',
      secret: secrets,
    });
    try {
      const result: number[] = [];
      for (const signer of signers) {
        const body = JSON.stringify(shipmentTracked());
        const response = await request(t.app.getHttpServer())
          .post(PATH)
          .set('content-type', 'application/json')
          .set({ ...signVisiwiseWebhook({ ...signer, payload: body }) })
          .send(body);
        result.push(response.status);
      }
      expect(t.handlers.tracked).toHaveLength(result.filter((s) => s === 200).length);
      return result;
    } finally {
      await t.close();
    }
  }

  it('follows the rotation runbook without a refused delivery', async () => {
    const oldSecret = generateVisiwiseWebhookSecret();
    const newSecret = generateVisiwiseWebhookSecret();
    // 1. Before: only the old secret is configured and Visiwise signs with it.
    expect(await statuses([oldSecret], [{ secret: oldSecret }])).toEqual([200]);
    // 2. Add the new secret and deploy: deliveries still signed with the old one pass...
    // 3. ...and after "rotate" in the dashboard (the old secret stops at once there), new ones too.
    expect(
      await statuses([oldSecret, newSecret], [{ secret: oldSecret }, { secret: newSecret }]),
    ).toEqual([200, 200]);
    // 4. Remove the old secret: only the new one verifies.
    expect(await statuses([newSecret], [{ secret: newSecret }, { secret: oldSecret }])).toEqual([
      200, 401,
    ]);
  });

  it('stops accepting a secret past its notAfter', async () => {
    const expired = generateVisiwiseWebhookSecret();
    const current = generateVisiwiseWebhookSecret();
    const secrets: VisiwiseSecretInput[] = [
      { secret: expired, notAfter: new Date(Date.now() - 1000) },
      { secret: current, notAfter: new Date(Date.now() + 3_600_000) },
    ];
    expect(await statuses(secrets, [{ secret: expired }, { secret: current }])).toEqual([401, 200]);
  });

  it('verifies Ed25519 (v1a) deliveries with a whpk_ key mixed with whsec_ secrets', async () => {
    const pair = generateVisiwiseEd25519KeyPair();
    const other = generateVisiwiseEd25519KeyPair();
    const secret = generateVisiwiseWebhookSecret();
    expect(
      await statuses(
        [secret, pair.publicKey],
        [{ privateKey: pair.privateKey }, { secret }, { privateKey: other.privateKey }],
      ),
    ).toEqual([200, 200, 401]);
  });
});
