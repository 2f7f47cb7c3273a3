import { Controller, HttpCode, INestApplication, Post } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  PostgresDeliveryLog,
  VisiwiseConfigurationError,
  VisiwiseInboxPageOptions,
  VisiwiseWebhookModule,
  migrateVisiwiseInbox,
} from 'nestjs-visiwise-webhook';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import request from 'supertest';
import {
  inboxPageNeedsGuardMessage,
  inboxPageNeedsInboxMessage,
  inboxPagePathCollidesMessage,
  invalidInboxPageGuardMessage,
  unguardedInProductionMessage,
  unguardedPageWarningMessage,
} from '../libs/visiwise-webhook/src/inbox/inbox-page.messages';
import { ADAPTERS, AdapterName, createHttpApp } from './support/adapters';
import { CapturingLogger } from './support/capturing-logger';
import {
  BearerTokenGuard,
  LogMarkingReplayer,
  OPERATOR_TOKEN,
  SeededDelivery,
  withInboxTokens,
  seedDelivery,
  unescapeHtml,
} from './support/inbox-page';
import { describeWithPostgres, useTestSchema } from './support/postgres';
import { REGISTRATIONS, Registration } from './support/webhook-test-app';

const SECRET = generateVisiwiseWebhookSecret();
const PAGE = 'admin/visiwise-inbox';
const AUTH = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const T0 = Date.parse('2025-06-01T08:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000);

const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_ATTRIBUTE = `"'><img src=x onerror=alert(2)>`;
const XSS_ID = `msg_xss_"'><img/src=x/onerror=alert(3)>`;

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Every status, several types, endpoints and tenants, spread over four days, newest last. */
const DELIVERIES: readonly SeededDelivery[] = [
  {
    endpoint: 'default',
    deliveryId: 'msg_handled_1',
    eventType: 'shipment.tracked',
    receivedAt: at(0),
    rawBody: body({ type: 'shipment.tracked', data: { trackingReference: 'MSCU1234565' } }),
    trackingRefs: ['MSCU1234565'],
    headers: { 'svix-id': 'msg_handled_1', 'content-type': 'application/json' },
    finalStatus: 'handled',
  },
  {
    endpoint: 'default',
    deliveryId: 'msg_failed_1',
    eventType: 'shipment.tracked',
    receivedAt: at(1),
    rawBody: body({ type: 'shipment.tracked', data: { trackingReference: 'BL-778899' } }),
    trackingRefs: ['BL-778899'],
    headers: { 'svix-id': 'msg_failed_1', 'svix-timestamp': '1748764800' },
    finalStatus: 'failed',
    failure: 'warehouse API answered 503',
  },
  {
    endpoint: 'eu',
    deliveryId: 'msg_dead_1',
    eventType: 'shipment.tracking_failed',
    receivedAt: at(24),
    rawBody: body({ type: 'shipment.tracking_failed', data: {} }),
    issues: ['data.trackingReference is missing'],
    finalStatus: 'dead',
  },
  {
    endpoint: 'default',
    deliveryId: 'msg_unparseable_1',
    eventType: null,
    receivedAt: at(48),
    rawBody: Buffer.from('this is not json'),
    error: 'invalid_json: Unexpected token h',
    finalStatus: 'unparseable',
  },
  {
    endpoint: 'eu',
    tenant: 'acme',
    deliveryId: 'msg_received_1',
    eventType: 'shipment.arrival_time_changed',
    receivedAt: at(72),
    rawBody: body({ type: 'shipment.arrival_time_changed', data: {} }),
    trackingRefs: ['MAEU7654321'],
    finalStatus: 'received',
  },
  {
    endpoint: 'default',
    deliveryId: XSS_ID,
    eventType: XSS_SCRIPT,
    receivedAt: at(80),
    rawBody: body({ type: XSS_SCRIPT, data: { note: XSS_ATTRIBUTE } }),
    issues: [XSS_SCRIPT, XSS_ATTRIBUTE],
    trackingRefs: [XSS_ATTRIBUTE],
    headers: { 'svix-id': XSS_ATTRIBUTE, 'user-agent': XSS_SCRIPT },
    finalStatus: 'failed',
    failure: `${XSS_SCRIPT} ${XSS_ATTRIBUTE}`,
  },
  ...[1, 2, 3, 4].map((n): SeededDelivery => ({
    endpoint: 'default',
    deliveryId: `msg_more_${n}`,
    eventType: 'shipment.tracked',
    receivedAt: at(90 + n),
    rawBody: body({ type: 'shipment.tracked', data: { n } }),
    finalStatus: 'handled',
  })),
];

/** Newest first, as the list shows them. */
const ALL_IDS = [...DELIVERIES]
  .sort((a, b) => b.receivedAt!.getTime() - a.receivedAt!.getTime())
  .map((delivery) => delivery.deliveryId);

const guarded: VisiwiseInboxPageOptions = { path: PAGE, guards: [BearerTokenGuard] };

function webhookModule(registration: Registration, inboxPage: VisiwiseInboxPageOptions) {
  return registration === 'forRoot'
    ? VisiwiseWebhookModule.forRoot({ secret: SECRET, inboxPage })
    : VisiwiseWebhookModule.forRootAsync({ inboxPage, useFactory: () => ({ secret: SECRET }) });
}

/** The ids of the list's rows, in order. */
function listedIds(html: string): string[] {
  return [...html.matchAll(/<tr data-delivery-id="([^"]*)">/g)].map((match) =>
    unescapeHtml(match[1]!),
  );
}

/**
 * The markup with whitespace runs collapsed and none beside tags: assertions then do not depend on
 * how the templates are laid out (prettier formats them as HTML).
 */
const squash = (html: string) =>
  html.replace(/\s+/g, ' ').replace(/>\s+/g, '>').replace(/\s+</g, '<');

/** The markup with every attribute value blanked (the page double-quotes them all). */
const tagsWithoutValues = (html: string) => html.replace(/"[^"]*"/g, '""');

function olderLink(html: string): string | undefined {
  const match = /<a href="([^"]*)" rel="next">Older<\/a>/.exec(html);
  return match ? unescapeHtml(match[1]!) : undefined;
}

function csrfField(html: string): string | undefined {
  const match = /name="csrf" value="([^"]*)"/.exec(html);
  return match ? unescapeHtml(match[1]!) : undefined;
}

function csrfCookie(response: request.Response): string | undefined {
  const cookies = response.headers['set-cookie'] as unknown as string[] | undefined;
  return cookies?.find((cookie) => cookie.startsWith('visiwise_inbox_csrf='));
}

const deliveryQuery = (deliveryId: string, endpoint = 'default', tenant = '') =>
  new URLSearchParams({ endpoint, tenant, id: deliveryId }).toString();

describeWithPostgres('the inbox page (real PostgreSQL)', () => {
  const db = useTestSchema('inbox_page');

  async function seededLog(): Promise<PostgresDeliveryLog> {
    const schema = db.another('inbox_page');
    await migrateVisiwiseInbox(db.pool, { schema });
    const log = new PostgresDeliveryLog(db.pool, { schema });
    for (const delivery of DELIVERIES) {
      await seedDelivery(log, delivery);
    }
    return log;
  }

  describe.each(REGISTRATIONS)('refuses to mount unsafely (%s)', (registration) => {
    const saved = process.env['NODE_ENV'];
    afterEach(() => {
      process.env['NODE_ENV'] = saved;
    });

    it('without a guard: a configuration error at registration that names the fix', () => {
      for (const guards of [undefined, []]) {
        const register = () =>
          webhookModule(registration, { path: PAGE, ...(guards && { guards }) });
        expect(register).toThrow(VisiwiseConfigurationError);
        expect(register).toThrow(inboxPageNeedsGuardMessage(PAGE));
      }
      expect(inboxPageNeedsGuardMessage(PAGE)).toContain('inboxPage.guards');
    });

    it("with allowUnguarded: 'development' when NODE_ENV is production", () => {
      process.env['NODE_ENV'] = 'production';
      const register = () =>
        webhookModule(registration, { path: PAGE, allowUnguarded: 'development' });
      expect(register).toThrow(VisiwiseConfigurationError);
      expect(register).toThrow(unguardedInProductionMessage(PAGE));
    });

    it('with a guard that is not one, or a path inside the webhook route', () => {
      expect(() => webhookModule(registration, { path: PAGE, guards: ['admin' as never] })).toThrow(
        invalidInboxPageGuardMessage(0),
      );
      for (const path of [
        'webhooks/visiwise',
        'webhooks/visiwise/inbox',
        '/Webhooks/Visiwise/x/',
      ]) {
        expect(() => webhookModule(registration, { path, guards: [BearerTokenGuard] })).toThrow(
          inboxPagePathCollidesMessage(path.trim(), 'webhooks/visiwise'),
        );
      }
    });

    it('without the delivery log (no `inbox`): the start fails naming the option', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [EventEmitterModule.forRoot(), webhookModule(registration, guarded)],
      })
        .setLogger(new CapturingLogger())
        .compile();
      await expect(createHttpApp(moduleRef, 'express')).rejects.toThrow(
        inboxPageNeedsInboxMessage(),
      );
    });
  });

  describe.each(ADAPTERS.flatMap((adapter) => REGISTRATIONS.map((r) => [adapter, r] as const)))(
    'on %s (%s)',
    (adapter: AdapterName, registration: Registration) => {
      let app: INestApplication;
      let log: PostgresDeliveryLog;
      let replayer: LogMarkingReplayer;
      let logger: CapturingLogger;
      let server: () => Parameters<typeof request>[0];

      beforeAll(async () => {
        log = await seededLog();
        replayer = new LogMarkingReplayer(log);
        logger = new CapturingLogger();
        const moduleRef = await withInboxTokens(
          Test.createTestingModule({
            imports: [EventEmitterModule.forRoot(), webhookModule(registration, guarded)],
          }),
          log,
          replayer,
        )
          .setLogger(logger)
          .compile();
        app = await createHttpApp(moduleRef, adapter, { logger });
        server = () => app.getHttpServer() as Parameters<typeof request>[0];
      });

      afterAll(async () => {
        await app.close();
        logger.assertNoUnexpected();
      });

      beforeEach(() => {
        replayer.calls.length = 0;
      });

      /** A delivery page with its CSRF cookie and form token, as a browser would have it. */
      async function openDelivery(deliveryId: string, endpoint = 'default', tenant = '') {
        const response = await request(server())
          .get(`/${PAGE}/delivery?${deliveryQuery(deliveryId, endpoint, tenant)}`)
          .set(AUTH)
          .expect(200);
        const cookie = csrfCookie(response)!.split(';')[0]!;
        return { response, cookie, token: csrfField(response.text) };
      }

      describe('the guard', () => {
        it.each([
          ['the list', () => request(server()).get(`/${PAGE}`)],
          [
            'a delivery',
            () => request(server()).get(`/${PAGE}/delivery?${deliveryQuery('msg_failed_1')}`),
          ],
          [
            'the replay',
            () =>
              request(server())
                .post(`/${PAGE}/replay`)
                .type('form')
                .send({ endpoint: 'default', tenant: '', id: 'msg_failed_1', csrf: 'x' }),
          ],
        ])('refuses %s without credentials (401), and with wrong ones', async (_name, send) => {
          const refused = await send().expect(401);
          expect(refused.text).not.toContain('msg_failed_1');
          await send().set({ authorization: 'Bearer wrong' }).expect(401);
          expect(replayer.calls).toEqual([]);
        });

        it('lets the operator in', async () => {
          await request(server()).get(`/${PAGE}`).set(AUTH).expect(200);
        });
      });

      describe('the list', () => {
        it('shows the summary by status and by type, then every delivery, newest first', async () => {
          const response = await request(server())
            .get(`/${PAGE}`)
            .set(AUTH)
            .expect(200)
            .expect('Content-Type', /^text\/html; charset=utf-8/);
          const count = (status: string) =>
            new RegExp(`data-status-count="${status}">(\\d+)<`).exec(response.text)?.[1];
          expect(count('handled')).toBe('5');
          expect(count('failed')).toBe('2');
          expect(count('dead')).toBe('1');
          expect(count('unparseable')).toBe('1');
          expect(count('received')).toBe('1');
          expect(squash(response.text)).toContain('(10 in all)');
          expect(squash(response.text)).toMatch(/>shipment\.tracked<\/a><\/td><td class="num">6</);
          expect(squash(response.text)).toContain('(no type: unparseable)');
          expect(listedIds(response.text)).toEqual(ALL_IDS);
          // Each row links to its delivery's page.
          expect(squash(response.text)).toContain(
            `href="/${PAGE}/delivery?endpoint=eu&amp;tenant=acme&amp;id=msg_received_1"`,
          );
        });

        it.each([
          ['status', 'status=failed', [XSS_ID, 'msg_failed_1']],
          ['status', 'status=unparseable', ['msg_unparseable_1']],
          ['type', 'type=shipment.tracking_failed', ['msg_dead_1']],
          ['endpoint', 'endpoint=eu', ['msg_received_1', 'msg_dead_1']],
          ['tenant', 'tenant=acme', ['msg_received_1']],
          ['from', 'from=2025-06-04', [...ALL_IDS.slice(0, 6)]],
          ['to (a whole day, inclusive)', 'to=2025-06-01', ['msg_failed_1', 'msg_handled_1']],
          ['from and to (times)', 'from=2025-06-02T08:00Z&to=2025-06-03T08:00:00Z', ['msg_dead_1']],
          ['q, a delivery id', 'q=msg_failed_1', ['msg_failed_1']],
          ['q, a tracking reference in any case', 'q=mscu1234565', ['msg_handled_1']],
          [
            'several filters at once',
            'status=handled&endpoint=default&to=2025-06-02',
            ['msg_handled_1'],
          ],
          ['empty fields (a submitted form)', 'status=&type=&endpoint=&q=', ALL_IDS],
        ])('narrows by %s (%s)', async (_name, query, expected) => {
          const response = await request(server()).get(`/${PAGE}?${query}`).set(AUTH).expect(200);
          expect(listedIds(response.text)).toEqual(expected);
        });

        it('keeps the filter in the form', async () => {
          const response = await request(server())
            .get(`/${PAGE}?status=failed&endpoint=default&q=BL-778899`)
            .set(AUTH)
            .expect(200);
          expect(squash(response.text)).toContain(
            '<option value="failed" selected>failed</option>',
          );
          expect(squash(response.text)).toContain('name="endpoint" value="default"');
          expect(squash(response.text)).toContain('name="q" value="BL-778899"');
          expect(listedIds(response.text)).toEqual(['msg_failed_1']);
        });

        it('pages with the "Older" link: every delivery exactly once, in order, no OFFSET', async () => {
          for (const [query, limit, expected] of [
            ['limit=3', 3, ALL_IDS],
            ['limit=2&endpoint=default', 2, ALL_IDS.filter((id) => !/dead|received/.test(id))],
          ] as const) {
            const seen: string[] = [];
            let next: string | undefined = `/${PAGE}?${query}`;
            let pages = 0;
            while (next !== undefined) {
              const response = await request(server()).get(next).set(AUTH).expect(200);
              const ids = listedIds(response.text);
              expect(ids.length).toBeLessThanOrEqual(limit);
              seen.push(...ids);
              next = olderLink(response.text);
              if (next !== undefined) {
                expect(next).toContain('cursor=');
                expect(next).not.toMatch(/offset|page=/i);
              }
              pages++;
            }
            expect(seen).toEqual(expected);
            expect(new Set(seen).size).toBe(seen.length);
            expect(pages).toBe(Math.ceil(expected.length / limit));
          }
        });

        it.each([
          ['an unknown status', 'status=lost', 'status'],
          ['a date that is not one', 'from=yesterday', 'from'],
          ['an impossible day', 'to=2025-02-31', 'to'],
          ['a forged cursor', 'cursor=2025-01-01,1%27--', 'nextCursor'],
          ['a page size out of range', 'limit=100000', 'limit'],
          ['a control character', 'endpoint=a%00b', 'endpoint'],
        ])('answers 400 for %s, naming the parameter', async (_name, query, parameter) => {
          const response = await request(server()).get(`/${PAGE}?${query}`).set(AUTH).expect(400);
          expect(response.headers['content-security-policy']).toBeDefined();
          expect(squash(response.text)).toContain(`\`${parameter}\``);
        });
      });

      describe('a delivery', () => {
        it('shows the pretty-printed payload, headers, issues and every attempt with its error', async () => {
          const { response } = await openDelivery('msg_failed_1');
          expect(squash(response.text)).toContain(
            '<span class="status status-failed">failed</span>',
          );
          const pretty = JSON.stringify(
            { type: 'shipment.tracked', data: { trackingReference: 'BL-778899' } },
            null,
            2,
          );
          // Exactly, line breaks and indentation included (not squashed): a <pre> keeps them.
          expect(response.text).toContain(
            `<pre id="payload">${pretty.replaceAll('"', '&quot;')}</pre>`,
          );
          expect(squash(response.text)).toContain(
            '<td class="mono">svix-timestamp</td><td class="mono">1748764800</td>',
          );
          expect(squash(response.text)).toContain('not stored: the log never keeps signatures');
          expect(squash(response.text)).toContain('Error: warehouse API answered 503');
          expect(squash(response.text)).toMatch(/<td class="num">1<\/td>[\s\S]*<td>failed<\/td>/);
          expect(squash(response.text)).toContain(
            '<button type="submit" class="replay">Replay</button>',
          );
        });

        it('shows a body that is not JSON as its text, and the reason it is unparseable', async () => {
          const { response } = await openDelivery('msg_unparseable_1');
          expect(squash(response.text)).toContain('<pre id="payload">this is not json</pre>');
          expect(squash(response.text)).toContain('Not JSON: the body as UTF-8 text.');
          expect(squash(response.text)).toContain('invalid_json: Unexpected token h');
          expect(squash(response.text)).toContain('class="replay"');
        });

        it('shows the issues of a dead delivery, and offers to replay it', async () => {
          const { response } = await openDelivery('msg_dead_1', 'eu');
          expect(squash(response.text)).toContain('<li>data.trackingReference is missing</li>');
          expect(squash(response.text)).toContain('class="replay"');
        });

        it('offers no replay for a handled or a received delivery', async () => {
          for (const [id, endpoint, tenant] of [
            ['msg_handled_1', 'default', ''],
            ['msg_received_1', 'eu', 'acme'],
          ] as const) {
            const { response } = await openDelivery(id, endpoint, tenant);
            expect(squash(response.text)).not.toContain('/replay"');
            expect(squash(response.text)).not.toContain('class="replay"');
            expect(squash(response.text)).toContain(
              'Replay is offered for failed, dead and unparseable',
            );
          }
        });

        it('answers 404 for a delivery that is not in the log, 400 without a key', async () => {
          await request(server())
            .get(`/${PAGE}/delivery?${deliveryQuery('msg_unknown')}`)
            .set(AUTH)
            .expect(404);
          await request(server()).get(`/${PAGE}/delivery?endpoint=default`).set(AUTH).expect(400);
        });
      });

      describe('escaping: content from a delivery never becomes markup', () => {
        it.each([
          ['the list', () => `/${PAGE}`],
          [
            'a filtered list',
            () => `/${PAGE}?status=failed&q=${encodeURIComponent(XSS_ATTRIBUTE)}`,
          ],
          ['the delivery page', () => `/${PAGE}/delivery?${deliveryQuery(XSS_ID)}`],
          ['a 404', () => `/${PAGE}/delivery?${deliveryQuery(`${XSS_ID}<script>`)}`],
        ])('in %s', async (_name, path) => {
          const response = await request(server()).get(path()).set(AUTH);
          expect([200, 404]).toContain(response.status);
          const page = response.text;
          expect(page).not.toContain(XSS_SCRIPT);
          expect(page).not.toContain(XSS_ATTRIBUTE);
          expect(page).not.toContain('<img');
          expect(page).not.toMatch(/<script/i);
          // No tag carries an event handler: with attribute values (always double-quoted, and
          // never holding a raw quote) blanked, no `on…=` is left inside a tag. Escaped text may
          // still read "onerror=": it is inert.
          expect(tagsWithoutValues(page)).not.toMatch(/<[^>]*\son[a-z]+=/i);
          expect(page).toContain(
            response.status === 200 ? '&lt;script&gt;alert(1)&lt;/script&gt;' : '&lt;script&gt;',
          );
        });

        it('in every field of the delivery page: type, id, issues, refs, headers, error, payload', async () => {
          const { response } = await openDelivery(XSS_ID);
          const escapedScript = '&lt;script&gt;alert(1)&lt;/script&gt;';
          const escapedAttribute = '&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;';
          expect(squash(response.text)).toContain(`<dt>Event type</dt><dd>${escapedScript}</dd>`);
          expect(squash(response.text)).toContain(`<li>${escapedScript}</li>`);
          expect(squash(response.text)).toContain(`<li>${escapedAttribute}</li>`);
          expect(squash(response.text)).toContain(`<td class="mono">${escapedScript}</td>`);
          expect(squash(response.text)).toContain(
            'Error: &lt;script&gt;alert(1)&lt;/script&gt; &quot;&#39;',
          );
          // The payload: JSON.stringify escapes the quotes once (\"), the page escapes them again.
          expect(squash(response.text)).toContain(
            '&quot;note&quot;: &quot;\\&quot;&#39;&gt;&lt;img src=x',
          );
          // The id, in the form's hidden field, round-trips exactly.
          expect(squash(response.text)).toContain(
            `name="id" value="msg_xss_&quot;&#39;&gt;&lt;img/src=x/onerror=alert(3)&gt;"`,
          );
        });
      });

      describe('response headers', () => {
        it.each([
          ['the list', 200, () => request(server()).get(`/${PAGE}`)],
          [
            'a delivery',
            200,
            () => request(server()).get(`/${PAGE}/delivery?${deliveryQuery('msg_failed_1')}`),
          ],
          ['a bad request', 400, () => request(server()).get(`/${PAGE}?status=nope`)],
          [
            'a refused replay',
            403,
            () => request(server()).post(`/${PAGE}/replay`).type('form').send({ id: 'x' }),
          ],
        ])('%s (%s) carries a strict CSP and the other headers', async (_name, status, send) => {
          const response = await send().set(AUTH).expect(status);
          const csp = response.headers['content-security-policy'] as string;
          expect(csp).toMatch(
            /^default-src 'none'; style-src 'nonce-[A-Za-z0-9+/]{22}=='; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
          );
          expect(csp).not.toContain('script-src');
          expect(response.headers['x-content-type-options']).toBe('nosniff');
          expect(response.headers['referrer-policy']).toBe('no-referrer');
          expect(response.headers['cache-control']).toBe('no-store');
          expect(response.headers['x-frame-options']).toBe('DENY');
          if (status === 200) {
            const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
            expect(squash(response.text)).toContain(`<style nonce="${nonce}">`);
            expect(response.text.match(/<style/g)).toHaveLength(1);
            expect(tagsWithoutValues(response.text)).not.toMatch(
              /<script|<[^>]*\s(style|on[a-z]+)=/i,
            );
          }
        });

        it('a fresh nonce on every response', async () => {
          const nonces = await Promise.all(
            [1, 2, 3].map(async () => {
              const response = await request(server()).get(`/${PAGE}`).set(AUTH);
              return response.headers['content-security-policy'] as string;
            }),
          );
          expect(new Set(nonces).size).toBe(3);
        });

        it('the CSRF cookie is HttpOnly, SameSite=Strict and scoped to the page', async () => {
          const { response } = await openDelivery('msg_failed_1');
          expect(csrfCookie(response)).toMatch(
            new RegExp(
              `^visiwise_inbox_csrf=[A-Za-z0-9_-]{43}; Path=/${PAGE}; HttpOnly; SameSite=Strict$`,
            ),
          );
          // A browser that has it keeps it: the same token in the next form, no new cookie.
          const cookie = csrfCookie(response)!.split(';')[0]!;
          const again = await request(server())
            .get(`/${PAGE}/delivery?${deliveryQuery('msg_failed_1')}`)
            .set(AUTH)
            .set('Cookie', cookie)
            .expect(200);
          expect(csrfCookie(again)).toBeUndefined();
          expect(csrfField(again.text)).toBe(cookie.split('=')[1]);
        });
      });

      describe('replay', () => {
        const form = (deliveryId: string, csrf?: string) => ({
          endpoint: 'default',
          tenant: '',
          id: deliveryId,
          ...(csrf === undefined ? {} : { csrf }),
        });

        it('is refused (403) without the CSRF token, and the replayer is not called', async () => {
          const { cookie } = await openDelivery('msg_failed_1');
          const response = await request(server())
            .post(`/${PAGE}/replay`)
            .set(AUTH)
            .set('Cookie', cookie)
            .type('form')
            .send(form('msg_failed_1'))
            .expect(403);
          expect(response.body).toMatchObject({ statusCode: 403, reason: 'csrf_token_missing' });
          expect(replayer.calls).toEqual([]);
        });

        it('is refused (403) with a wrong token, or a token without its cookie', async () => {
          const { cookie, token } = await openDelivery('msg_failed_1');
          const other = await openDelivery('msg_failed_1');
          for (const [cookieHeader, csrf, reason] of [
            [cookie, 'A'.repeat(43), 'csrf_token_mismatch'],
            [cookie, other.token!, 'csrf_token_mismatch'],
            [cookie, `${token!}x`, 'csrf_token_mismatch'],
            [undefined, token!, 'csrf_token_missing'],
            // A second cookie of the name (planted by a sibling subdomain): fail closed.
            [`${cookie}; ${other.cookie}`, token!, 'csrf_token_mismatch'],
          ] as const) {
            const post = request(server()).post(`/${PAGE}/replay`).set(AUTH);
            if (cookieHeader !== undefined) post.set('Cookie', cookieHeader);
            const response = await post.type('form').send(form('msg_failed_1', csrf)).expect(403);
            expect(response.body.reason).toBe(reason);
            expect(JSON.stringify(response.body)).not.toContain(token!);
          }
          expect(replayer.calls).toEqual([]);
        });

        it('is refused (403) from another origin, even with a valid token', async () => {
          const { cookie, token } = await openDelivery('msg_failed_1');
          for (const headers of [
            { Origin: 'https://evil.example' },
            { Host: 'inbox.example:8443', Origin: 'https://inbox.example:9999' },
            { Origin: 'null' },
            { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' },
            { 'Sec-Fetch-Site': 'cross-site' },
            { 'Sec-Fetch-Site': 'same-site' },
          ]) {
            const response = await request(server())
              .post(`/${PAGE}/replay`)
              .set(AUTH)
              .set('Cookie', cookie)
              .set(headers)
              .type('form')
              .send(form('msg_failed_1', token))
              .expect(403);
            expect(response.body.reason).toBe('cross_site_request');
          }
          expect(replayer.calls).toEqual([]);
        });

        it('refuses a form that is not URL-encoded (415) or has a field twice (400)', async () => {
          const { cookie, token } = await openDelivery('msg_failed_1');
          await request(server())
            .post(`/${PAGE}/replay`)
            .set(AUTH)
            .set('Cookie', cookie)
            .send(form('msg_failed_1', token))
            .expect(415);
          await request(server())
            .post(`/${PAGE}/replay`)
            .set(AUTH)
            .set('Cookie', cookie)
            .type('form')
            .send(`${new URLSearchParams(form('msg_failed_1', token)).toString()}&id=msg_dead_1`)
            .expect(400);
          expect(replayer.calls).toEqual([]);
        });

        it('no GET changes anything', async () => {
          await request(server())
            .get(`/${PAGE}/replay?${deliveryQuery('msg_failed_1')}`)
            .set(AUTH)
            .expect(404);
          expect(replayer.calls).toEqual([]);
        });

        it('replays a failed delivery: 303 to its page, which shows it handled', async () => {
          const { cookie, token } = await openDelivery(XSS_ID);
          const response = await request(server())
            .post(`/${PAGE}/replay`)
            .set(AUTH)
            .set('Cookie', cookie)
            // What Chromium sends with the page's own form: under the page's no-referrer policy
            // the origin of a POST is "null", and Sec-Fetch-Site vouches for it.
            .set({ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' })
            .type('form')
            .send(form(XSS_ID, token))
            .expect(303);
          expect(replayer.calls).toEqual([{ endpoint: 'default', tenant: '', deliveryId: XSS_ID }]);
          const location = response.headers['location'] as string;
          expect(location).toBe(`/${PAGE}/delivery?${deliveryQuery(XSS_ID)}&replay=replayed`);
          const after = await request(server()).get(location).set(AUTH).expect(200);
          expect(squash(after.text)).toContain(
            '<span class="status status-handled">handled</span>',
          );
          expect(squash(after.text)).toContain('Replayed: the delivery was handed');
          expect(squash(after.text)).not.toContain('class="replay"');
          expect(logger.take('log', 'requested: replayed')).toHaveLength(1);
        });

        it('a handled delivery answers not replayable', async () => {
          // Its page has no form; a token from another delivery's page is as valid.
          const { cookie, token } = await openDelivery('msg_failed_1');
          const response = await request(server())
            .post(`/${PAGE}/replay`)
            .set(AUTH)
            .set('Cookie', cookie)
            // A browser that sends its real origin: it matches the host (and port) the platform
            // read, whatever the scheme (TLS may end at a proxy).
            .set({ Host: 'inbox.example:8443', Origin: 'https://inbox.example:8443' })
            .type('form')
            .send(form('msg_handled_1', token))
            .expect(303);
          expect(response.headers['location']).toContain('replay=not_replayable');
          const after = await request(server())
            .get(response.headers['location'] as string)
            .set(AUTH)
            .expect(200);
          expect(squash(after.text)).toContain('Not replayed: only failed, dead and unparseable');
          expect(squash(after.text)).toContain(
            '<span class="status status-handled">handled</span>',
          );
          expect(
            (await log.get({ endpoint: 'default', deliveryId: 'msg_handled_1' }))?.history,
          ).toHaveLength(1);
        });
      });
    },
  );

  describe.each(ADAPTERS)('reads the replay form whoever parses forms (%s)', (adapter) => {
    @Controller('app')
    class AppFormRoute {
      @Post('form')
      @HttpCode(200)
      accept(): string {
        return 'ok';
      }
    }

    it('with the platform form parser off or replaced, and leaves other routes as they were', async () => {
      const log = await seededLog();
      const replayer = new LogMarkingReplayer(log);
      const logger = new CapturingLogger();
      const moduleRef = await withInboxTokens(
        Test.createTestingModule({
          imports: [EventEmitterModule.forRoot(), webhookModule('forRoot', guarded)],
          controllers: [AppFormRoute],
        }),
        log,
        replayer,
      )
        .setLogger(logger)
        .compile();
      let app: INestApplication;
      if (adapter === 'express') {
        // No body parser at all: the page reads the request stream itself.
        app = moduleRef.createNestApplication<NestExpressApplication>(new ExpressAdapter(), {
          bodyParser: false,
          logger,
        });
        await app.init();
      } else {
        // An app that registers its own JSON parser: Nest then registers no form parser.
        app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          rawBody: true,
          logger,
        });
        (app as NestFastifyApplication).useBodyParser('application/json');
        await app.init();
        await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
      }
      try {
        const page = await request(app.getHttpServer())
          .get(`/${PAGE}/delivery?${deliveryQuery('msg_failed_1')}`)
          .set(AUTH)
          .expect(200);
        const cookie = csrfCookie(page)!.split(';')[0]!;
        await request(app.getHttpServer())
          .post(`/${PAGE}/replay`)
          .set(AUTH)
          .set('Cookie', cookie)
          .type('form')
          .send({
            endpoint: 'default',
            tenant: '',
            id: 'msg_failed_1',
            csrf: csrfField(page.text)!,
          })
          .expect(303)
          .expect('Location', /replay=replayed$/);
        expect(replayer.calls).toHaveLength(1);
        // The application's own route answers a form as it did before the page was mounted.
        const other = await request(app.getHttpServer())
          .post('/app/form')
          .type('form')
          .send({ a: '1' });
        expect(other.status).toBe(adapter === 'express' ? 200 : 415);
        const fourOhFour = await request(app.getHttpServer())
          .post('/nowhere')
          .type('form')
          .send({ a: '1' });
        expect(fourOhFour.status).toBe(404);
      } finally {
        await app.close();
      }
      logger.assertNoUnexpected();
    });
  });

  describe.each(ADAPTERS)("open for development (allowUnguarded: 'development', %s)", (adapter) => {
    it('mounts without a guard outside production, and warns loudly at every start', async () => {
      const log = await seededLog();
      // Two starts of the same app: the warning is logged at each, not once per process.
      for (let start = 1; start <= 2; start++) {
        const logger = new CapturingLogger();
        const moduleRef = await withInboxTokens(
          Test.createTestingModule({
            imports: [
              EventEmitterModule.forRoot(),
              VisiwiseWebhookModule.forRoot({
                secret: SECRET,
                inboxPage: { path: PAGE, allowUnguarded: 'development' },
              }),
            ],
          }),
          log,
          new LogMarkingReplayer(log),
        )
          .setLogger(logger)
          .compile();
        const app = await createHttpApp(moduleRef, adapter, { logger });
        try {
          expect(logger.take('warn', unguardedPageWarningMessage(`/${PAGE}`))).toHaveLength(1);
          await request(app.getHttpServer()).get(`/${PAGE}`).expect(200);
        } finally {
          await app.close();
        }
        logger.assertNoUnexpected();
      }
    });
  });
});
