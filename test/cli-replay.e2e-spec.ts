import { Queue } from 'bullmq';
import request from 'supertest';
import { VisiwiseDeadLetterService } from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { CLI_EXIT } from '../libs/visiwise-webhook/src/cli/cli.constants';
import {
  errorLine,
  missingRedisMessage,
  replayDoneMessage,
  replayNotFoundMessage,
} from '../libs/visiwise-webhook/src/cli/cli.messages';
import { jobFailedLogMessage } from '../libs/visiwise-webhook/src/delivery/delivery.messages';
import { runCli } from './support/cli';
import { shipmentTracked } from './support/payloads';
import {
  REDIS_URL,
  deleteKeys,
  describeWithRedis,
  testRedisClient,
  uniqueName,
  waitFor,
} from './support/redis';
import { WebhookTestApp, createWebhookTestApp } from './support/webhook-test-app';

const cli = runCli;

describe('visiwise-webhook replay: usage', () => {
  it('needs a Redis URL, and says where to put it', async () => {
    const run = await cli(['replay', '--list']);
    expect(run.code).toBe(CLI_EXIT.usage);
    expect(run.stderr).toContain(errorLine(missingRedisMessage('REDIS_URL')).trim());
  });

  it('reports an unreachable Redis with exit 3, without the password', async () => {
    const run = await cli(['replay', '--list', '--redis', 'redis://u:hunter2-secret@127.0.0.1:1']);
    expect(run.code).toBe(CLI_EXIT.unreachable);
    expect(run.stderr).toContain('127.0.0.1:1');
    expect(run.stderr + run.stdout).not.toContain('hunter2-secret');
  });
});

describeWithRedis('visiwise-webhook replay (real Redis, real BullMQ)', () => {
  const secret = generateVisiwiseWebhookSecret();
  let name: string;
  let keyPrefix: string;
  let t: WebhookTestApp;

  beforeEach(async () => {
    name = uniqueName('replay');
    keyPrefix = `${uniqueName('idem')}:`;
    t = await createWebhookTestApp({
      adapter: 'express',
      registration: 'forRoot',
      secret,
      moduleOptions: {
        delivery: 'queue',
        redis: REDIS_URL,
        idempotency: { keyPrefix },
        queue: { name, attempts: 1 },
      },
    });
  });
  afterEach(async () => {
    await t.close();
    const queue = new Queue(name, { connection: { url: REDIS_URL } });
    await queue.obliterate({ force: true });
    await queue.close();
    const client = testRedisClient();
    await deleteKeys(client, keyPrefix);
    await client.quit();
    t.logger.assertNoUnexpected();
  });

  it('lists a failed event and replays it by id once the handler is fixed', async () => {
    t.handlers.failWith = new Error('downstream rejected the shipment');
    const body = JSON.stringify(shipmentTracked());
    await request(t.app.getHttpServer())
      .post('/webhooks/visiwise')
      .set('content-type', 'application/json')
      .set({ ...signVisiwiseWebhook({ secret, payload: body, id: 'msg_cli_replay' }) })
      .send(body)
      .expect(200);
    const deadLetters = t.app.get(VisiwiseDeadLetterService);
    await waitFor(async () => (await deadLetters.count()) === 1, 10_000, 'the job to fail');
    t.logger.take('error', jobFailedLogMessage('msg_cli_replay', 'shipment.tracked', 1, 1));

    const listed = await cli(['replay', '--list', '--queue', name], { REDIS_URL });
    expect(listed.code).toBe(CLI_EXIT.ok);
    expect(listed.stdout).toMatch(/^msg_cli_replay\tshipment\.tracked\tfailed\tattempts=1\t/);
    expect(listed.stdout).toContain('downstream rejected the shipment');

    t.handlers.failWith = undefined;
    const replayed = await cli(['replay', 'msg_cli_replay', '--redis', REDIS_URL, '--queue', name]);
    expect(replayed.code).toBe(CLI_EXIT.ok);
    expect(replayed.stdout).toBe(`${replayDoneMessage('msg_cli_replay')}\n`);
    await waitFor(() => t.handlers.tracked.length === 1, 10_000, 'the replayed event');

    const again = await cli(['replay', 'msg_cli_replay', '--redis', REDIS_URL, '--queue', name]);
    expect(again.code).toBe(CLI_EXIT.rejected);
    expect(again.stderr).toContain(replayNotFoundMessage('msg_cli_replay'));
  });

  it('refuses ambiguous usage', async () => {
    const run = await cli(['replay', 'msg_x', '--all', '--redis', REDIS_URL, '--queue', name]);
    expect(run.code).toBe(CLI_EXIT.usage);
  });
});
