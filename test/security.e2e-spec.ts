import { VisiwiseDeadLetterService } from 'nestjs-visiwise-webhook';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import {
  ipNotAllowedMessage,
  payloadTooLargeMessage,
} from '../libs/visiwise-webhook/src/http/http.messages';
import { jsonTooDeepMessage } from '../libs/visiwise-webhook/src/events/events.messages';
import { ADAPTERS, AdapterName } from './support/adapters';
import { shipmentTracked } from './support/payloads';
import {
  WebhookTestApp,
  WebhookTestAppOptions,
  createWebhookTestApp,
  sendSigned,
} from './support/webhook-test-app';

const PATH = '/webhooks/visiwise';

/** POSTs with Transfer-Encoding: chunked and no Content-Length (supertest always sets one). */
function postChunked(
  baseUrl: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl.replace('[::1]', '127.0.0.1')}${PATH}`,
      { method: 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1000) {
      req.write(body.slice(i, i + 1000));
    }
    req.end();
  });
}
const IS_PUBLIC = 'test:isPublic';

/** What many apps install: a global guard that refuses every route not marked public. */
@Injectable()
class GlobalAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return Boolean(
      this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ]),
    );
  }
}

describe.each(ADAPTERS)('hardening on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  let t: WebhookTestApp | undefined;

  const start = async (options: Partial<WebhookTestAppOptions>) => {
    t = await createWebhookTestApp({ adapter, registration: 'forRoot', secret, ...options });
    return t;
  };
  const post = (app: WebhookTestApp, body: string, headers: Record<string, string> = {}) =>
    request(app.app.getHttpServer())
      .post(PATH)
      .set('content-type', 'application/json')
      .set({ ...signVisiwiseWebhook({ secret, payload: body }), ...headers })
      .send(body);

  afterEach(async () => {
    await t?.close();
    t?.logger.assertNoUnexpected();
    t = undefined;
  });

  describe('maxBodyBytes', () => {
    const big = () => {
      const payload = shipmentTracked();
      payload.data['padding'] = 'x'.repeat(4096);
      return JSON.stringify(payload);
    };

    it('answers 413 for a body over the limit before checking the signature', async () => {
      const app = await start({ moduleOptions: { maxBodyBytes: 2048 } });
      // Not even signed: a 401 here would mean the signature was checked first.
      const response = await post(app, big(), { 'svix-signature': 'v1,forged' });
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({
        reason: 'payload_too_large',
        message: payloadTooLargeMessage(2048),
      });
      expect(app.handlers.calls).toEqual([]);
    });

    it('accepts a signed body at the limit', async () => {
      const body = JSON.stringify(shipmentTracked());
      const app = await start({ moduleOptions: { maxBodyBytes: Buffer.byteLength(body) } });
      await post(app, body).expect(200);
      expect(app.handlers.tracked).toHaveLength(1);
    });

    it('takes a 300 KiB bill of lading once the platform limit is raised as the README says', async () => {
      const payload = shipmentTracked();
      payload.data['containers'] = Array.from({ length: 1500 }, (_, i) => ({
        number: `MSCU${String(i).padStart(7, '0')}`,
        lastMovementEventDescription:
          'Discharge From Vessel at the port of Rotterdam, terminal ECT Delta',
        arrivalTime: { value: '2025-09-16T22:10:00Z', isActual: true },
      }));
      const body = JSON.stringify(payload);
      expect(body.length).toBeGreaterThan(200 * 1024);
      const app = await start({ bodyLimitBytes: 1024 * 1024 });
      await post(app, body).expect(200);
      expect(app.handlers.tracked).toHaveLength(1);
    });

    it('also measures a chunked body that declares no length', async () => {
      const app = await start({ moduleOptions: { maxBodyBytes: 2048 } });
      const body = big();
      await app.app.listen(0, '127.0.0.1');
      const status = await postChunked(await app.app.getUrl(), body, {
        'content-type': 'application/json',
        ...signVisiwiseWebhook({ secret, payload: body }),
      });
      expect(status).toBe(413);
      expect(app.handlers.calls).toEqual([]);
    });
  });

  describe('allowedIps', () => {
    it('accepts a delivery from an allowed range', async () => {
      const app = await start({ moduleOptions: { allowedIps: ['127.0.0.0/8', '::1'] } });
      await post(app, JSON.stringify(shipmentTracked())).expect(200);
    });

    it('refuses other sources with 403, whatever X-Forwarded-For says when no proxy is trusted', async () => {
      const app = await start({ moduleOptions: { allowedIps: ['203.0.113.0/24'] } });
      const response = await post(app, JSON.stringify(shipmentTracked()), {
        'x-forwarded-for': '203.0.113.7',
      });
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({
        reason: 'ip_not_allowed',
        message: ipNotAllowedMessage(),
      });
      expect(app.handlers.calls).toEqual([]);
    });

    it('uses the forwarded client address when the platform trusts the proxy', async () => {
      const app = await start({
        moduleOptions: { allowedIps: ['203.0.113.0/24'] },
        trustLoopbackProxy: true,
      });
      await post(app, JSON.stringify(shipmentTracked()), {
        'x-forwarded-for': '203.0.113.7',
      }).expect(200);
      const outside = await post(app, JSON.stringify(shipmentTracked()), {
        'x-forwarded-for': '198.51.100.1',
      });
      expect(outside.status).toBe(403);
      expect(app.handlers.tracked).toHaveLength(1);
    });
  });

  describe('global guards', () => {
    const globalGuard = { provide: APP_GUARD, useClass: GlobalAuthGuard };

    it('lets the app mark the webhook route public with controllerDecorators', async () => {
      const app = await start({
        providers: [globalGuard],
        extras: { controllerDecorators: [SetMetadata(IS_PUBLIC, true)] },
      });
      await post(app, JSON.stringify(shipmentTracked())).expect(200);
      // The signature guard still runs after the app's guard.
      const forged = await post(app, JSON.stringify(shipmentTracked()), {
        'svix-signature': 'v1,forged',
      });
      expect(forged.status).toBe(401);
    });

    it('is blocked by the global guard without them (what the option is for)', async () => {
      const app = await start({ providers: [globalGuard] });
      const response = await post(app, JSON.stringify(shipmentTracked()));
      expect(response.status).toBe(403);
      expect(app.handlers.calls).toEqual([]);
    });
  });
});

describe.each(
  ADAPTERS.flatMap((adapter) => [
    [adapter, false],
    [adapter, true],
  ]) as [AdapterName, boolean][],
)('hostile but signed bodies on %s (reparseRawBody: %s)', (adapter, reparseRawBody) => {
  const secret = generateVisiwiseWebhookSecret();
  let t: WebhookTestApp;

  beforeEach(async () => {
    t = await createWebhookTestApp({
      adapter,
      registration: 'forRootAsync',
      secret,
      moduleOptions: { reparseRawBody },
    });
  });
  afterEach(async () => {
    await t.close();
    t.logger.assertNoUnexpected();
  });

  const postSigned = (body: string) =>
    request(t.app.getHttpServer())
      .post(PATH)
      .set('content-type', 'application/json')
      .set({ ...signVisiwiseWebhook({ secret, payload: body }) })
      .send(body);

  it('keeps deep nesting as unparseable (json_too_deep) instead of walking it', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const body = `{"type":"shipment.tracked","data":{"trackingReference":"X","deep":${deep}}}`;
    const response = await postSigned(body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'unparseable' });
    const [kept] = await t.app.get(VisiwiseDeadLetterService).list();
    expect(kept?.delivery?.reason).toBe('json_too_deep');
    expect(kept?.failedReason).toBe(jsonTooDeepMessage(32));
    expect(t.logger.take('warn', '(json_too_deep); answered 200')).toHaveLength(1);
    expect(t.handlers.calls).toEqual([]);
  });

  it('never lets __proto__ or constructor.prototype keys reach handlers or prototypes', async () => {
    const body =
      '{"type":"shipment.tracked","data":{"trackingReference":"MSCU1234566",' +
      '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
      '"tags":[{"name":"x","__proto__":{"polluted":"yes"}}]}}';
    const response = await postSigned(body);
    // Fastify's own parser refuses such bodies; the module then reads the verified bytes itself,
    // as it does on Express, and drops the keys from what it hands to handlers.
    expect(response.status).toBe(200);
    expect(t.handlers.tracked).toHaveLength(1);
    for (const event of t.handlers.tracked) {
      expect(Object.prototype.hasOwnProperty.call(event.data, '__proto__')).toBe(false);
      expect(Object.prototype.hasOwnProperty.call(event.data, 'constructor')).toBe(false);
      expect(Object.keys(event.data.tags?.[0] ?? {})).toEqual(['name']);
      // A typical handler merge would now be harmless.
      expect(
        (Object.assign({}, event.data) as Record<string, unknown>)['polluted'],
      ).toBeUndefined();
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    if (adapter === 'express') {
      expect(response.status).toBe(200);
      expect(t.handlers.tracked).toHaveLength(1);
    }
  });
});

/**
 * An application hook that rewrites `request.body` after the platform parsed it and before guards
 * run (what input sanitisers do): Express middleware after the JSON parser, a Fastify
 * `preValidation` hook.
 */
function rewriteTrackingReference(app: INestApplication, adapter: AdapterName): void {
  const rewrite = (body: unknown): void => {
    const data = (body as { data?: Record<string, unknown> } | undefined)?.data;
    if (data) {
      data['trackingReference'] = 'REWRITTEN-BY-APP';
    }
  };
  if (adapter === 'express') {
    const express = app as NestExpressApplication;
    express.useBodyParser('json');
    express.use((req: { body?: unknown }, _res: unknown, next: () => void) => {
      rewrite(req.body);
      next();
    });
    return;
  }
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  fastify.addHook('preValidation', (request, _reply, done) => {
    rewrite(request.body);
    done();
  });
}

describe.each(ADAPTERS)('the body handlers receive on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  let t: WebhookTestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t?.logger.assertNoUnexpected();
    t = undefined;
  });

  const start = async (reparseRawBody?: boolean) => {
    t = await createWebhookTestApp({
      adapter,
      registration: 'forRoot',
      secret,
      moduleOptions: reparseRawBody === undefined ? {} : { reparseRawBody },
      prepare: (app) => {
        rewriteTrackingReference(app, adapter);
      },
    });
    return t;
  };

  it("is the platform's parse of the verified bytes by default (one JSON parse per delivery)", async () => {
    const app = await start();
    const response = await sendSigned(app, secret, 'msg_platform_parse');
    expect(response.status).toBe(200);
    // What the application's own hook left in request.body: the module did not parse again.
    expect(app.handlers.tracked.map((event) => event.data.trackingReference)).toEqual([
      'REWRITTEN-BY-APP',
    ]);
  });

  it('is exactly what Visiwise signed with reparseRawBody, whatever the app did to request.body', async () => {
    const app = await start(true);
    const signed = shipmentTracked('MSCU7654321');
    const response = await sendSigned(app, secret, 'msg_reparsed', JSON.stringify(signed));
    expect(response.status).toBe(200);
    expect(app.handlers.tracked.map((event) => event.data)).toEqual([signed.data]);
  });
});
