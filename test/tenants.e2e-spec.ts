import { DynamicModule, Injectable, Module } from '@nestjs/common';
import {
  AnyVisiwiseEvent,
  OnVisiwiseEvent,
  VisiwiseConfigurationError,
  VisiwiseEvent,
  VisiwiseSecretInput,
  VisiwiseTenantLookup,
  VisiwiseTenantOptions,
  VisiwiseWebhookEndpoints,
  VisiwiseWebhookModule,
  VisiwiseWebhookModuleOptions,
} from 'nestjs-visiwise-webhook';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from 'nestjs-visiwise-webhook/testing';
import {
  tenantLookupFailedLogMessage,
  tenantLookupTimeoutReason,
  tenantLookupUnavailableMessage,
  tenantSecretInvalidLogMessage,
  unknownEndpointMessage,
  unknownEndpointNameMessage,
} from '../libs/visiwise-webhook/src/endpoints/endpoints.messages';
import { ADAPTERS } from './support/adapters';
import { EndpointsTestApp, startEndpointsApp } from './support/endpoints-test-app';
import { shipmentTracked } from './support/payloads';
import { waitFor } from './support/redis';
import { REGISTRATIONS, Registration } from './support/webhook-test-app';

const SAAS = '/webhooks/visiwise/saas';
const TIMEOUT_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The application's tenant directory: secrets in a Map, as a database would hold them, with every
 * lookup recorded. It can be made slow, failing or unanswering.
 */
class TenantDirectory {
  readonly secrets = new Map<string, VisiwiseSecretInput | readonly VisiwiseSecretInput[]>();
  readonly lookups: { tenant: string; endpoint: string; signal: AbortSignal }[] = [];
  /** Time each lookup takes (a database round trip). */
  delayMs = 0;
  /** Makes lookups reject with this error. */
  failWith: Error | undefined;
  /** Makes lookups never answer. */
  hang = false;

  async resolveSecret(
    tenant: string,
    { endpoint, signal }: VisiwiseTenantLookup,
  ): Promise<VisiwiseSecretInput | readonly VisiwiseSecretInput[] | undefined> {
    this.lookups.push({ tenant, endpoint, signal });
    if (this.hang) {
      return new Promise(() => undefined);
    }
    if (this.delayMs > 0) {
      await sleep(this.delayMs);
    }
    if (this.failWith) {
      throw this.failWith;
    }
    return this.secrets.get(tenant);
  }

  lookupsOf(tenant: string): number {
    return this.lookups.filter((lookup) => lookup.tenant === tenant).length;
  }

  /** The resolver as the module's `tenants` option takes it. */
  tenants(options: Omit<VisiwiseTenantOptions, 'resolveSecret'> = {}): VisiwiseTenantOptions {
    return { ...options, resolveSecret: (tenant, lookup) => this.resolveSecret(tenant, lookup) };
  }
}

/** What handlers saw of an event. */
interface Seen {
  readonly endpoint: string;
  readonly tenant: string | undefined;
  readonly id: string;
}

@Injectable()
class TenantRecorder {
  readonly tracked: Seen[] = [];

  @OnVisiwiseEvent('shipment.tracked')
  onTracked(event: VisiwiseEvent<'shipment.tracked'>): void {
    this.tracked.push(seen(event));
  }
}

const seen = ({ endpoint, tenant, id }: AnyVisiwiseEvent): Seen => ({ endpoint, tenant, id });

/**
 * The module with a tenant endpoint `saas` (or top-level `tenants` when `single`): `forRoot` with a
 * resolver closing over the directory, or `forRootAsync` whose factory gets the directory injected
 * from the application's module, as a real application would.
 */
function register(
  registration: Registration,
  directory: TenantDirectory,
  tenantOptions: Omit<VisiwiseTenantOptions, 'resolveSecret'> = {},
  shape: 'endpoint' | 'single' = 'endpoint',
): DynamicModule {
  const options = (tenants: VisiwiseTenantOptions): VisiwiseWebhookModuleOptions =>
    shape === 'single' ? { tenants } : { endpoints: { saas: { tenants } } };
  if (registration === 'forRoot') {
    return VisiwiseWebhookModule.forRoot(options(directory.tenants(tenantOptions)));
  }
  @Module({
    providers: [{ provide: TenantDirectory, useValue: directory }],
    exports: [TenantDirectory],
  })
  class DirectoryModule {}
  return VisiwiseWebhookModule.forRootAsync({
    imports: [DirectoryModule],
    inject: [TenantDirectory],
    useFactory: (injected: TenantDirectory) => options(injected.tenants(tenantOptions)),
  });
}

/** How a refusal looks on the wire: status, and the body byte for byte. */
const answerOf = (response: { status: number; text: string }) => ({
  status: response.status,
  text: response.text,
});

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const TENANT_COUNT = 1000;
const TENANTS = Array.from(
  { length: TENANT_COUNT },
  (_, i) => `tenant-${String(i).padStart(4, '0')}`,
);
const SECRETS = new Map(TENANTS.map((tenant) => [tenant, generateVisiwiseWebhookSecret()]));
const secretOf = (tenant: string): string => SECRETS.get(tenant) ?? '';

describe.each(ADAPTERS)('tenant endpoints on %s', (adapter) => {
  let directory: TenantDirectory;
  let t: EndpointsTestApp | undefined;

  const start = async (registration: DynamicModule) => {
    t = await startEndpointsApp(adapter, registration, [TenantRecorder]);
    return t;
  };

  beforeEach(() => {
    directory = new TenantDirectory();
  });

  afterEach(async () => {
    const app = t;
    t = undefined;
    if (app) {
      await app.close();
      app.logger.assertNoUnexpected();
    }
  });

  describe.each(REGISTRATIONS)('registered with %s', (registration) => {
    const acme = generateVisiwiseWebhookSecret();
    const globex = generateVisiwiseWebhookSecret();

    beforeEach(() => {
      directory.secrets.set('acme', acme).set('globex', globex);
    });

    it(`verifies each of ${TENANT_COUNT} tenants with its own secret, looking each up once`, async () => {
      for (const tenant of TENANTS) {
        directory.secrets.set(tenant, secretOf(tenant));
      }
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));

      // Every tenant once, 20 at a time.
      for (let i = 0; i < TENANTS.length; i += 20) {
        const batch = TENANTS.slice(i, i + 20);
        const answers = await Promise.all(
          batch.map((tenant) => app.send(`${SAAS}/${tenant}`, secretOf(tenant), { id: 'msg_1' })),
        );
        expect(answers.map((answer) => answer.status)).toEqual(batch.map(() => 200));
      }
      const handled = app.get(TenantRecorder).tracked;
      expect([...handled].sort((a, b) => a.tenant!.localeCompare(b.tenant!))).toEqual(
        TENANTS.map((tenant) => ({ endpoint: 'saas', tenant, id: 'msg_1' })),
      );
      expect(directory.lookups).toHaveLength(TENANT_COUNT);
      expect(new Set(directory.lookups.map((lookup) => lookup.tenant)).size).toBe(TENANT_COUNT);
      expect(directory.lookups.every((lookup) => lookup.endpoint === 'saas')).toBe(true);

      // 50 tenants across the range, again: their own secret passes, a neighbour's does not, and
      // every answer comes from the cache.
      for (let i = 0; i < 50; i++) {
        const tenant = TENANTS[i * 20 + (i % 20)]!;
        const other = TENANTS[(i * 20 + 500) % TENANT_COUNT]!;
        const refused = await app.send(`${SAAS}/${tenant}`, secretOf(other), { id: 'msg_2' });
        expect({ tenant, status: refused.status }).toEqual({ tenant, status: 401 });
        expect(refused.body.reason).toBe('invalid_signature');
        await app.send(`${SAAS}/${tenant}`, secretOf(tenant), { id: 'msg_2' }).expect(200, {
          status: 'received',
        });
        expect(handled.at(-1)).toEqual({ endpoint: 'saas', tenant, id: 'msg_2' });
      }
      expect(directory.lookups).toHaveLength(TENANT_COUNT);
    });

    it("shares one lookup among a new tenant's concurrent first deliveries", async () => {
      directory.delayMs = 50;
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));

      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => app.send(`${SAAS}/acme`, acme, { id: `msg_c${i}` })),
      );

      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expect(directory.lookupsOf('acme')).toBe(1);
      expect(app.get(TenantRecorder).tracked).toHaveLength(10);
    });

    it("keeps a rotated secret's old value while cached, and takes the new one after forgetTenant", async () => {
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));
      const endpoints = app.get(VisiwiseWebhookEndpoints);
      const rotated = generateVisiwiseWebhookSecret();

      await app.send(`${SAAS}/acme`, acme).expect(200);
      await app.send(`${SAAS}/globex`, globex).expect(200);
      directory.secrets.set('acme', rotated);

      // Cached: the old secret still verifies, the new one not yet.
      await app.send(`${SAAS}/acme`, acme).expect(200);
      expect((await app.send(`${SAAS}/acme`, rotated)).status).toBe(401);
      expect(directory.lookupsOf('acme')).toBe(1);

      endpoints.forgetTenant('acme');
      await app.send(`${SAAS}/acme`, rotated).expect(200);
      const old = await app.send(`${SAAS}/acme`, acme);
      expect(old.status).toBe(401);
      expect(old.body.reason).toBe('invalid_signature');
      expect(directory.lookupsOf('acme')).toBe(2);

      // Others keep their cache entry.
      await app.send(`${SAAS}/globex`, globex).expect(200);
      expect(directory.lookupsOf('globex')).toBe(1);

      // A rotation window: the directory returns both secrets, both verify.
      const next = generateVisiwiseWebhookSecret();
      directory.secrets.set('acme', [rotated, next]);
      endpoints.forgetTenant('acme', 'saas');
      await app.send(`${SAAS}/acme`, rotated).expect(200);
      await app.send(`${SAAS}/acme`, next).expect(200);
      expect(directory.lookupsOf('acme')).toBe(3);
      expect(directory.lookupsOf('globex')).toBe(1);

      expect(() => {
        endpoints.forgetTenant('acme', 'sass');
      }).toThrow(new VisiwiseConfigurationError(unknownEndpointNameMessage('sass', ['saas'])));
    });

    it('deduplicates per tenant: one svix-id is a delivery for each tenant', async () => {
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));

      await app.send(`${SAAS}/acme`, acme, { id: 'msg_t' }).expect(200, { status: 'received' });
      await app.send(`${SAAS}/globex`, globex, { id: 'msg_t' }).expect(200, {
        status: 'received',
      });
      await app.send(`${SAAS}/acme`, acme, { id: 'msg_t' }).expect(200, { status: 'duplicate' });
      await app.send(`${SAAS}/globex`, globex, { id: 'msg_t' }).expect(200, {
        status: 'duplicate',
      });

      expect(app.get(TenantRecorder).tracked).toEqual([
        { endpoint: 'saas', tenant: 'acme', id: 'msg_t' },
        { endpoint: 'saas', tenant: 'globex', id: 'msg_t' },
      ]);
    });

    it('answers 503 when the resolver throws, logs it once a minute without secrets, and recovers', async () => {
      const leaked = generateVisiwiseWebhookSecret();
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));
      directory.failWith = Object.assign(
        new Error(`tenant directory offline\nconnection string: postgres://app:${leaked}@db`),
        { secret: leaked, tenantSecret: acme },
      );
      const logLine = tenantLookupFailedLogMessage(
        'saas',
        'acme',
        'Error: tenant directory offline',
      );

      for (let i = 0; i < 2; i++) {
        const refused = await app.send(`${SAAS}/acme`, acme);
        expect(refused.status).toBe(503);
        expect(refused.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          reason: 'tenant_lookup_failed',
          message: tenantLookupUnavailableMessage(),
        });
      }

      // Two failures, one line; it names endpoint and tenant, never a secret.
      expect(app.logger.take('error', logLine)).toHaveLength(1);
      expect(app.logger.allText).not.toContain(leaked.slice(6));
      expect(app.logger.allText).not.toContain(acme.slice(6));
      expect(directory.lookupsOf('acme')).toBe(2);

      // Failures are not cached: the next delivery looks up again and passes.
      directory.failWith = undefined;
      await app.send(`${SAAS}/acme`, acme).expect(200, { status: 'received' });
      expect(directory.lookupsOf('acme')).toBe(3);
      expect(app.get(TenantRecorder).tracked).toHaveLength(1);
    });

    it('answers 503 when the resolver does not answer within timeoutMs, aborting its signal', async () => {
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));
      directory.hang = true;

      const started = Date.now();
      const refused = await app.send(`${SAAS}/acme`, acme);
      const elapsed = Date.now() - started;

      expect(refused.status).toBe(503);
      expect(refused.body.reason).toBe('tenant_lookup_failed');
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
      const [lookup] = directory.lookups;
      expect(lookup?.signal.aborted).toBe(true);
      expect(
        app.logger.take(
          'error',
          tenantLookupFailedLogMessage('saas', 'acme', tenantLookupTimeoutReason(TIMEOUT_MS)),
        ),
      ).toHaveLength(1);

      directory.hang = false;
      await app.send(`${SAAS}/acme`, acme).expect(200);
      expect(directory.lookups[1]?.signal.aborted).toBe(false);
    });

    it('answers every first delivery of a burst of more new tenants than cacheSize', async () => {
      // 20 lookups under way at once in a cache of 5: the newest evict the entries of the others.
      directory.delayMs = 50;
      const burst = TENANTS.slice(0, 20);
      for (const tenant of burst) {
        directory.secrets.set(tenant, secretOf(tenant));
      }
      const app = await start(
        register(registration, directory, { timeoutMs: TIMEOUT_MS, cacheSize: 5 }),
      );

      const answers = await Promise.all(
        burst.map((tenant) => app.send(`${SAAS}/${tenant}`, secretOf(tenant))),
      );

      expect(answers.map((answer) => answer.status)).toEqual(burst.map(() => 200));
      expect(directory.lookups).toHaveLength(20);
      // The application's queries were left to finish (only a timeout aborts them).
      expect(directory.lookups.filter((lookup) => lookup.signal.aborted)).toEqual([]);
    });

    it('answers a delivery whose lookup was under way when forgetTenant was called', async () => {
      directory.delayMs = 100;
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));

      const pending = app.send(`${SAAS}/acme`, acme).then((response) => response);
      await waitFor(() => directory.lookupsOf('acme') === 1, 2000, 'the lookup to start');
      app.get(VisiwiseWebhookEndpoints).forgetTenant('acme');

      expect((await pending).status).toBe(200);
      expect(directory.lookups[0]?.signal.aborted).toBe(false);
      // Forgotten all the same: the next delivery looks the tenant up again.
      await app.send(`${SAAS}/acme`, acme).expect(200);
      expect(directory.lookupsOf('acme')).toBe(2);
    });

    it('answers 503 for a malformed secret from the resolver, and logs the tenant, not the value', async () => {
      const malformed = 'whsec_not*base64*but*secret';
      directory.secrets.set('initech', malformed);
      const app = await start(register(registration, directory, { timeoutMs: TIMEOUT_MS }));

      const refused = await app.send(`${SAAS}/initech`, acme);

      expect(refused.status).toBe(503);
      expect(refused.body.reason).toBe('tenant_lookup_failed');
      expect(refused.text).not.toContain('not*base64');
      expect(
        app.logger.take('error', tenantSecretInvalidLogMessage('saas', 'initech')),
      ).toHaveLength(1);
      expect(app.logger.allText).not.toContain('not*base64');

      // Fixed in the directory: not cached as broken, the next delivery passes.
      const initech = generateVisiwiseWebhookSecret();
      directory.secrets.set('initech', initech);
      await app.send(`${SAAS}/initech`, initech).expect(200);
    });
  });

  describe('an unknown tenant is answered like a bad signature', () => {
    const acme = generateVisiwiseWebhookSecret();
    const body = JSON.stringify(shipmentTracked());

    beforeEach(async () => {
      directory.secrets.set('acme', acme);
      await start(register('forRoot', directory));
    });

    it('with the same status and byte-identical body, for a bad signature, a stale timestamp and missing headers', async () => {
      const app = t!;
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, Record<string, string>][] = [
        [
          'invalid_signature',
          { ...signVisiwiseWebhook({ secret: generateVisiwiseWebhookSecret(), payload: body }) },
        ],
        [
          'timestamp_too_old',
          { ...signVisiwiseWebhook({ secret: acme, payload: body, timestamp: now - 400 }) },
        ],
        ['missing_headers', {}],
      ];
      for (const [reason, headers] of cases) {
        const known = await app.post(`${SAAS}/acme`, body, headers);
        const unknown = await app.post(`${SAAS}/initech`, body, headers);
        expect(known.status).toBe(401);
        expect(JSON.parse(known.text)).toMatchObject({ reason });
        expect(answerOf(unknown)).toEqual(answerOf(known));
        expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
      }
    });

    it('answers a tenant id that cannot be one like an unknown tenant, without looking it up', async () => {
      const app = t!;
      const headers = {
        ...signVisiwiseWebhook({ secret: generateVisiwiseWebhookSecret(), payload: body }),
      };
      const unknown = answerOf(await app.post(`${SAAS}/initech`, body, headers));
      const odd = [
        '..%2F',
        '%2E%2E',
        '.hidden',
        '-leading-dash',
        'acme%2Fglobex',
        'acme%20corp',
        'acme%00',
        'caf%C3%A9',
        // Over the 100 characters a tenant id may have (Fastify's maxParamLength).
        'y'.repeat(101),
        'x'.repeat(129),
      ];
      for (const tenant of odd) {
        const answer = answerOf(await app.post(`${SAAS}/${tenant}`, body, headers));
        if (adapter === 'fastify' && tenant.length > 100) {
          // Fastify refuses route parameters over its maxParamLength (100) before any route code:
          // whatever the tenant, so it tells nothing either.
          expect({ tenant, status: answer.status }).toEqual({ tenant, status: 414 });
        } else {
          expect({ tenant, ...answer }).toEqual({ tenant, ...unknown });
        }
      }
      expect(directory.lookups.map((lookup) => lookup.tenant)).toEqual(['initech']);
    });

    it('in about the same time: an unknown tenant costs one cached lookup, not one per delivery', async () => {
      const app = t!;
      // A slow directory: a path that looked up on every delivery would show 20 ms a request.
      directory.delayMs = 20;
      const headers = {
        ...signVisiwiseWebhook({ secret: generateVisiwiseWebhookSecret(), payload: body }),
      };
      const timed = async (path: string): Promise<number> => {
        const started = process.hrtime.bigint();
        const response = await app.post(path, body, headers);
        expect(response.status).toBe(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      // First deliveries look both tenants up.
      await timed(`${SAAS}/acme`);
      await timed(`${SAAS}/initech`);

      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 200; i++) {
        known.push(await timed(`${SAAS}/acme`));
        unknown.push(await timed(`${SAAS}/initech`));
      }

      // Generous: two shared cores, HTTP in the loop. A lookup per delivery would add 20 ms.
      expect(median(unknown)).toBeLessThanOrEqual(3 * median(known) + 2);
      expect(directory.lookupsOf('acme')).toBe(1);
      expect(directory.lookupsOf('initech')).toBe(1);
    });
  });

  describe.each(REGISTRATIONS)(
    'the single endpoint with top-level tenants (%s)',
    (registration) => {
      it('is mounted at /webhooks/visiwise/<tenant>, with events of endpoint "default"', async () => {
        const acme = generateVisiwiseWebhookSecret();
        directory.secrets.set('acme', acme);
        const app = await start(register(registration, directory, {}, 'single'));

        await app.send('/webhooks/visiwise/acme', acme, { id: 'msg_single' }).expect(200, {
          status: 'received',
        });
        expect((await app.send('/webhooks/visiwise/globex', acme)).body.reason).toBe(
          'invalid_signature',
        );
        for (const path of ['/webhooks/visiwise', '/webhooks/visiwise/acme/extra']) {
          const response = await app.send(path, acme);
          expect(response.status).toBe(404);
          expect(response.body.message).toBe(unknownEndpointMessage());
        }

        expect(app.get(TenantRecorder).tracked).toEqual([
          { endpoint: 'default', tenant: 'acme', id: 'msg_single' },
        ]);
        expect(directory.lookups.map((lookup) => [lookup.tenant, lookup.endpoint])).toEqual([
          ['acme', 'default'],
          ['globex', 'default'],
        ]);
        expect(app.get(VisiwiseWebhookEndpoints).list()).toEqual([
          { name: 'default', path: '', tenants: true, delivery: 'inline' },
        ]);
      });
    },
  );
});
