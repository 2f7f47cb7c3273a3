import { VisiwiseWebhookVerifier } from 'nestjs-visiwise-webhook';
import { generatedSecretBanner, resolveSampleSecret } from './sample-secret';
import { adapterFromEnv } from './create-sample-app';
import { deliveryOptionsFromEnv } from './delivery-options';

describe('resolveSampleSecret', () => {
  it('uses VISIWISE_WEBHOOK_SECRET when set', () => {
    expect(
      resolveSampleSecret({ VISIWISE_WEBHOOK_SECRET: 'whsec_abc', NODE_ENV: 'production' }),
    ).toEqual({
      source: 'environment',
      secret: 'whsec_abc',
    });
  });

  it('generates a usable development secret when unset outside production', () => {
    const first = resolveSampleSecret({});
    const second = resolveSampleSecret({ NODE_ENV: 'development' });
    expect(first.source).toBe('generated');
    expect(first.secret).not.toBe(second.secret);
    expect(new VisiwiseWebhookVerifier({ secrets: first.secret }).secretCount).toBe(1);
  });

  it('refuses to start in production without a secret', () => {
    expect(() => resolveSampleSecret({ NODE_ENV: 'production' })).toThrow(
      /VISIWISE_WEBHOOK_SECRET is not set/,
    );
    expect(() =>
      resolveSampleSecret({ NODE_ENV: 'production', VISIWISE_WEBHOOK_SECRET: ' ' }),
    ).toThrow();
  });

  it('prints a ready-to-paste command that carries the generated secret and the URL', () => {
    const banner = generatedSecretBanner('whsec_dev', 'http://localhost:3000/webhooks/visiwise');
    expect(banner).toContain(
      "VISIWISE_WEBHOOK_SECRET='whsec_dev' npm run send-sample -- http://localhost:3000/webhooks/visiwise",
    );
    expect(banner).toContain('curl http://localhost:3000/shipments');
  });
});

describe('adapterFromEnv', () => {
  it('defaults to express, accepts fastify, rejects anything else', () => {
    expect(adapterFromEnv({})).toBe('express');
    expect(adapterFromEnv({ HTTP_ADAPTER: 'Fastify' })).toBe('fastify');
    expect(() => adapterFromEnv({ HTTP_ADAPTER: 'koa' })).toThrow(/HTTP_ADAPTER/);
  });
});

describe('deliveryOptionsFromEnv', () => {
  it('defaults to inline without Redis', () => {
    expect(deliveryOptionsFromEnv({})).toEqual({ delivery: 'inline' });
  });

  it('passes REDIS_URL and the mode through', () => {
    expect(
      deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'queue', REDIS_URL: 'redis://127.0.0.1:6379' }),
    ).toEqual({ delivery: 'queue', redis: 'redis://127.0.0.1:6379' });
    expect(deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'Background' })).toEqual({
      delivery: 'background',
    });
  });

  it('refuses an unknown mode, and queue without Redis, naming the fix', () => {
    expect(() => deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'kafka' })).toThrow(
      /VISIWISE_DELIVERY/,
    );
    expect(() => deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'queue' })).toThrow(/REDIS_URL/);
  });
});
