import { INestApplication, Injectable } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { existsSync } from 'node:fs';
import {
  OnVisiwiseEvent,
  VisiwiseEvent,
  VisiwiseWebhookModule,
  migrateVisiwiseInbox,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { ADAPTERS, AdapterName, createHttpApp } from './support/adapters';
import { CapturingLogger } from './support/capturing-logger';
import { BearerTokenGuard, OPERATOR_TOKEN } from './support/inbox-page';
import { shipmentTracked } from './support/payloads';
import { DATABASE_URL, describeWithPostgres, useTestSchema } from './support/postgres';

/*
 * The inbox page in a real browser (headless Chromium driven by playwright-core) against the real
 * module: `database` + `inbox: true` + `inboxPage`, real signed deliveries, a handler that fails
 * the first time, and a replay from the page that runs that handler again.
 */

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable) {
  const required = process.env['REQUIRE_BROWSER'] === '1' || process.env['CI'] === 'true';
  const lines = [
    `Chromium is NOT installed at ${CHROMIUM}.`,
    required
      ? 'The browser test of the inbox page is required here (CI or REQUIRE_BROWSER=1): failing.'
      : 'The browser test of the inbox page is SKIPPED on this machine.',
    'Install it: apt-get install -y chromium (or set CHROMIUM_PATH).',
  ];
  console.warn(['', '!'.repeat(78), ...lines.map((l) => `!! ${l}`), '!'.repeat(78)].join('\n'));
  if (required) {
    throw new Error(
      `Chromium is required for the inbox page's browser test but not at ${CHROMIUM}`,
    );
  }
}
const describeWithBrowser: jest.Describe = chromiumAvailable ? describeWithPostgres : describe.skip;

// What the callbacks run in the page use of the DOM (the project compiles without the DOM lib).
interface DomElement {
  getAttribute(name: string): string | null;
}
interface DomWindow {
  getComputedStyle(element: DomElement): { backgroundColor: string };
}

const PAGE = 'admin/visiwise-inbox';
const SECRET = generateVisiwiseWebhookSecret();

/** The application's handler: fails the first run of a delivery whose id says "flaky". */
@Injectable()
class ShipmentHandler {
  readonly runs: string[] = [];

  @OnVisiwiseEvent('shipment.tracked')
  async onTracked(event: VisiwiseEvent<'shipment.tracked'>): Promise<void> {
    this.runs.push(event.id);
    await Promise.resolve();
    if (event.id.includes('flaky') && this.runs.filter((id) => id === event.id).length === 1) {
      throw new Error('carrier API unavailable');
    }
  }
}

describeWithBrowser('the inbox page in Chromium (real module, real PostgreSQL)', () => {
  jest.setTimeout(30_000);
  const db = useTestSchema('inbox_browser');
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser.close();
  });

  describe.each(ADAPTERS)('on %s', (adapter: AdapterName) => {
    let app: INestApplication;
    let logger: CapturingLogger;
    let handler: ShipmentHandler;
    let origin: string;
    let operator: BrowserContext;
    const ids = {
      flaky: `msg_flaky_${adapter}`,
      other: `msg_flaky_other_${adapter}`,
      ok: `msg_ok_${adapter}`,
    };

    /** A real signed delivery to the webhook endpoint, over HTTP. */
    async function deliver(id: string, container: string): Promise<number> {
      const body = JSON.stringify(shipmentTracked(container));
      const response = await fetch(`${origin}/webhooks/visiwise`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signVisiwiseWebhook({ secret: SECRET, payload: body, id }),
        },
        body,
      });
      return response.status;
    }

    beforeAll(async () => {
      const schema = db.another(`inbox_browser_${adapter}`);
      await migrateVisiwiseInbox(db.pool, { schema });
      logger = new CapturingLogger();
      const moduleRef = await Test.createTestingModule({
        imports: [
          EventEmitterModule.forRoot(),
          VisiwiseWebhookModule.forRoot({
            secret: SECRET,
            metrics: false,
            tracing: false,
            database: { url: DATABASE_URL, schema },
            inbox: true,
            inboxPage: { path: PAGE, guards: [BearerTokenGuard] },
          }),
        ],
        providers: [ShipmentHandler],
      })
        .setLogger(logger)
        .compile();
      app = await createHttpApp(moduleRef, adapter, { logger });
      await app.listen(0, '127.0.0.1');
      origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      handler = app.get(ShipmentHandler);
      operator = await browser.newContext({
        extraHTTPHeaders: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      });
      // A step that cannot happen fails in seconds, naming the step, not at the test's timeout.
      operator.setDefaultTimeout(5_000);

      // Inline mode: a failing handler answers 500 (Visiwise would retry); the log says failed.
      expect(await deliver(ids.ok, 'MSCU1234566')).toBe(200);
      expect(await deliver(ids.flaky, 'MAEU7654321')).toBe(500);
      expect(await deliver(ids.other, 'TGHU8765432')).toBe(500);
      expect(logger.take('error', 'carrier API unavailable').length).toBeGreaterThan(0);
    });

    afterAll(async () => {
      await operator.close();
      await app.close();
      logger.assertNoUnexpected();
    });

    it('lists what was just delivered, and a filter narrows the list', async () => {
      const page = await operator.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
      });
      const response = await page.goto(`${origin}/${PAGE}`);
      expect(response?.status()).toBe(200);
      const listed = () =>
        page
          .locator('tr[data-delivery-id]')
          .evaluateAll((rows: readonly DomElement[]) =>
            rows.map((row) => row.getAttribute('data-delivery-id')),
          );
      expect(await listed()).toEqual([ids.other, ids.flaky, ids.ok]);
      expect(await page.locator('[data-status-count="failed"]').textContent()).toBe('2');

      // The form, as an operator uses it: pick a status, type a reference in any case, submit.
      await page.selectOption('select[name="status"]', 'failed');
      await page.fill('input[name="q"]', 'maeu7654321');
      await Promise.all([
        page.waitForURL(/status=failed/),
        page.click('button:has-text("Filter")'),
      ]);
      expect(page.url()).toContain('q=maeu7654321');
      expect(await listed()).toEqual([ids.flaky]);

      // The nonce-allowed stylesheet applies (status colours), and no script exists at all.
      const badge = page.locator(`tr[data-delivery-id="${ids.flaky}"] .status`);
      const background = await badge.evaluate(
        (element: DomElement) =>
          (globalThis as unknown as DomWindow).getComputedStyle(element).backgroundColor,
      );
      expect(background).toBe('rgb(255, 241, 229)');
      expect(await page.locator('script').count()).toBe(0);
      expect(violations).toEqual([]);
      await page.close();
    });

    it('opens a failed delivery, replays it, and shows it handled', async () => {
      const page = await operator.newPage();
      await page.goto(`${origin}/${PAGE}?status=failed`);
      await page.click(`a:text-is("${ids.flaky}")`);
      await page.waitForURL(/\/delivery\?/);
      expect(await page.locator('#status').textContent()).toBe('failed');
      expect(await page.locator('#last-error').textContent()).toContain('carrier API unavailable');
      expect(await page.locator('#payload').textContent()).toContain('"trackingReference"');

      await Promise.all([
        page.waitForURL(/replay=replayed/),
        page.click('button:has-text("Replay")'),
      ]);
      expect(await page.locator('#status').textContent()).toBe('handled');
      expect(await page.locator('.flash').textContent()).toContain('Replayed');
      expect(await page.locator('button:has-text("Replay")').count()).toBe(0);
      // The application's handler ran again, from the recorded body.
      expect(handler.runs.filter((id) => id === ids.flaky)).toHaveLength(2);
      expect(await page.locator('table[aria-label="Attempts"] tbody tr').count()).toBe(2);
      await page.close();
    });

    it('refuses a replay posted from another site, even with the operator credentials', async () => {
      // The operator's browser visits another site whose form targets the page: the browser
      // sends the (ambient) credentials, but neither the SameSite cookie nor a same origin.
      const page = await operator.newPage();
      await page.goto(`${origin}/${PAGE}/delivery?endpoint=default&tenant=&id=${ids.other}`);
      await page.route('http://attacker.test/**', (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<form method="post" action="${origin}/${PAGE}/replay">
            <input name="endpoint" value="default"><input name="tenant" value="">
            <input name="id" value="${ids.other}"><input name="csrf" value="${'A'.repeat(43)}">
            <button>Win a prize</button></form>`,
        }),
      );
      await page.goto('http://attacker.test/');
      const [response] = await Promise.all([
        page.waitForResponse(`${origin}/${PAGE}/replay`),
        page.click('button'),
      ]);
      expect(response.status()).toBe(403);
      expect(handler.runs.filter((id) => id === ids.other)).toHaveLength(1);
      await page.close();
    });

    it('without the credentials, refuses the page, a delivery and the replay', async () => {
      const anonymous = await browser.newContext();
      try {
        const page = await anonymous.newPage();
        expect((await page.goto(`${origin}/${PAGE}`))?.status()).toBe(401);
        expect(await page.content()).not.toContain(ids.other);
        expect(
          (
            await page.goto(`${origin}/${PAGE}/delivery?endpoint=default&tenant=&id=${ids.other}`)
          )?.status(),
        ).toBe(401);
        const replay = await anonymous.request.post(`${origin}/${PAGE}/replay`, {
          form: { endpoint: 'default', tenant: '', id: ids.other, csrf: 'x' },
          maxRedirects: 0,
        });
        expect(replay.status()).toBe(401);
        expect(handler.runs.filter((id) => id === ids.other)).toHaveLength(1);
      } finally {
        await anonymous.close();
      }
    });
  });
});
