import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import request from 'supertest';
import { ADAPTERS } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import { DATABASE_URL, describeWithPostgres, testPool, uniqueSchema } from './support/postgres';
import { uniqueName, waitFor } from './support/redis';
import { Sample, startSample } from './support/sample-process';

/*
 * The sample app as issue 17 describes it, built and run in a process of its own: with
 * DATABASE_URL it records every delivery, runs queue mode on PostgreSQL alone (REDIS_URL empty),
 * and serves /visiwise/inbox behind `Authorization: Bearer <VISIWISE_INBOX_TOKEN>`.
 */

jest.setTimeout(60_000);

describeWithPostgres.each(ADAPTERS)('the sample app with DATABASE_URL on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  const token = `inbox-token-${uniqueName('t')}`;
  const schema = uniqueSchema('sample_inbox');
  let sample: Sample | undefined;

  afterEach(async () => {
    sample?.child.kill('SIGTERM');
    await sample?.exited;
    sample = undefined;
  });

  afterAll(async () => {
    const pool = testPool();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}_visiwise_pgboss" CASCADE`);
    await pool.end();
  });

  const send = (url: string, id: string, reference: string) => {
    const body = JSON.stringify(shipmentTracked(reference));
    return request(url)
      .post('/webhooks/visiwise')
      .set('content-type', 'application/json')
      .set({ ...signVisiwiseWebhook({ secret, payload: body, id }) })
      .send(body);
  };

  it('queues on PostgreSQL alone, records each delivery, and shows them on the inbox page behind the token', async () => {
    sample = await startSample(adapter, {
      VISIWISE_WEBHOOK_SECRET: secret,
      DATABASE_URL,
      VISIWISE_DATABASE_SCHEMA: schema,
      VISIWISE_DELIVERY: 'queue',
      REDIS_URL: '',
      VISIWISE_INBOX_TOKEN: token,
    });
    const { url } = sample;
    const first = `msg_${uniqueName('first').replace(/-/g, '_')}`;
    const second = `msg_${uniqueName('second').replace(/-/g, '_')}`;
    await send(url, first, 'MSCU1234566').expect(200, { status: 'received' });
    await send(url, second, 'HLXU1357904').expect(200, { status: 'received' });
    // The pg-boss worker of the sample handles both.
    await waitFor(
      async () => ((await request(url).get('/shipments')).body as unknown[]).length === 2,
      20_000,
      'the sample to handle both deliveries',
    );

    // Without the token: refused.
    await request(url).get('/visiwise/inbox').expect(401);
    await request(url).get('/visiwise/inbox').set('authorization', 'Bearer wrong').expect(401);

    const auth = { authorization: `Bearer ${token}` };
    const page = await request(url).get('/visiwise/inbox').set(auth).expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain(first);
    expect(page.text).toContain(second);
    // q narrows the list to one delivery (by tracking reference) and links to its page.
    const found = await request(url)
      .get('/visiwise/inbox')
      .query({ q: 'hlxu1357904' })
      .set(auth)
      .expect(200);
    expect(found.text).toContain(second);
    expect(found.text).not.toContain(first);
    const link = /href="([^"]*\/visiwise\/inbox\/delivery\?[^"]*)"/.exec(found.text)?.[1];
    expect(link).toBeDefined();
    const detail = await request(url)
      .get((link ?? '').replace(/&amp;/g, '&'))
      .set(auth)
      .expect(200);
    expect(detail.text).toContain('HLXU1357904');
  });

  it('does not mount the page without VISIWISE_INBOX_TOKEN', async () => {
    sample = await startSample(adapter, {
      VISIWISE_WEBHOOK_SECRET: secret,
      DATABASE_URL,
      VISIWISE_DATABASE_SCHEMA: schema,
      REDIS_URL: '',
    });
    await request(sample.url)
      .get('/visiwise/inbox')
      .set('authorization', `Bearer ${token}`)
      .expect(404);
  });
});
