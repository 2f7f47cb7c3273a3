import { inspect } from 'node:util';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  VisiwiseDeadLetterService,
  VisiwiseWebhookModule,
  VisiwiseWebhookVerifier,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { VISIWISE_WEBHOOK_CONFIG } from '../libs/visiwise-webhook/src/visiwise-webhook.constants';
import { ADAPTERS, createHttpApp } from './support/adapters';
import { CapturingLogger } from './support/capturing-logger';
import { shipmentTracked } from './support/payloads';
import { RecordingHandlers, createWebhookTestApp } from './support/webhook-test-app';

/** Every form the secret could leak in: as configured, its base64 key, the key bytes in hex. */
function secretForms(secret: string): string[] {
  const base64 = secret.replace(/^whsec_/, '');
  return [secret, base64, Buffer.from(base64, 'base64').toString('hex'), base64.slice(0, 16)];
}

describe.each(ADAPTERS)('the secret never leaks (%s)', (adapter) => {
  it('appears in no log line, response or inspected object across a full run', async () => {
    const secret = generateVisiwiseWebhookSecret();
    const t = await createWebhookTestApp({ adapter, registration: 'forRootAsync', secret });
    const seen: string[] = [];
    try {
      const server = t.app.getHttpServer();
      const body = JSON.stringify(shipmentTracked());
      const send = async (
        payload: string,
        headers: Record<string, string>,
        contentType = 'application/json',
      ) => {
        const response = await request(server)
          .post('/webhooks/visiwise')
          .set('content-type', contentType)
          .set(headers)
          .send(payload);
        seen.push(response.text, JSON.stringify(response.headers));
        return response.status;
      };
      const now = Math.floor(Date.now() / 1000);
      const signed = (
        payload: string,
        overrides: Partial<Parameters<typeof signVisiwiseWebhook>[0]> = {},
      ) => ({
        ...signVisiwiseWebhook({ secret, payload, ...overrides }),
      });

      expect(await send(body, signed(body))).toBe(200);
      expect(await send(body, signed(body, { id: 'msg_dupe' }))).toBe(200);
      expect(await send(body, signed(body, { id: 'msg_dupe' }))).toBe(200);
      expect(await send(`${body} `, signed(body))).toBe(401);
      expect(await send(body, signed(body, { secret: generateVisiwiseWebhookSecret() }))).toBe(401);
      expect(await send(body, signed(body, { timestamp: now - 3600 }))).toBe(401);
      expect(await send(body, signed(body, { timestamp: now + 3600 }))).toBe(401);
      expect(await send(body, {})).toBe(401);
      // Signed but not an event: kept in the dead letters with the signed headers, never the secret.
      expect(await send('{"type":', signed('{"type":'))).toBe(200);
      expect(await send('{"type":"x.y","data":[]}', signed('{"type":"x.y","data":[]}'))).toBe(200);
      expect(await send('{"type":"x.y","data":{}}', signed('{"type":"x.y","data":{}}'))).toBe(200);
      expect(await send('a=b', signed('a=b'), 'text/plain')).toBe(415);
      t.handlers.failWith = new Error('handler exploded');
      expect(await send(body, signed(body))).toBe(500);

      seen.push(
        JSON.stringify(await t.app.get(VisiwiseDeadLetterService).list()),
        inspect(t.app.get(VisiwiseWebhookVerifier), { depth: 10, showHidden: true }),
        inspect(t.app.get(VISIWISE_WEBHOOK_CONFIG), { depth: 10, showHidden: true }),
        JSON.stringify(t.app.get(VISIWISE_WEBHOOK_CONFIG)),
      );
    } finally {
      await t.close();
    }
    t.logger.take('error', 'handler exploded');
    t.logger.take('warn', 'answered 200 and kept in the dead letters');
    t.logger.take('log', 'x.y');
    t.logger.take('warn', 'x.y');
    const everything = [t.logger.allText, ...seen].join('\n');
    expect(t.logger.entries.length).toBeGreaterThan(10);
    for (const form of secretForms(secret)) {
      expect(everything).not.toContain(form);
    }
  });

  it('appears in no boot error, whatever is wrong with it', async () => {
    const base = generateVisiwiseWebhookSecret();
    const broken = [
      `${base}!`,
      base.slice(0, 12),
      ` "${base}" `,
      base.replace('whsec_', 'whsk_'),
      base.replace('whsec_', 'whpk_'),
    ];
    for (const secret of broken) {
      const logger = new CapturingLogger();
      const error = await Test.createTestingModule({
        imports: [
          EventEmitterModule.forRoot(),
          VisiwiseWebhookModule.forRoot({ secret: ['whsec_' + 'A'.repeat(32), secret] }),
        ],
        providers: [RecordingHandlers],
      })
        .setLogger(logger)
        .compile()
        .then((moduleRef) => createHttpApp(moduleRef, adapter, { logger }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(Error);
      const text = [inspect(error), (error as Error).stack ?? '', logger.allText].join('\n');
      for (const form of secretForms(base)) {
        expect(text).not.toContain(form);
      }
      expect(text).toContain('secret #2 (of 2)');
    }
  });
});
