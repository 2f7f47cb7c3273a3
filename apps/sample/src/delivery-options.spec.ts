import { deliveryOptionsFromEnv } from './delivery-options';

describe('deliveryOptionsFromEnv (VISIWISE_DELIVERY, REDIS_URL, DATABASE_URL)', () => {
  const database = 'postgres://postgres@127.0.0.1:5432/postgres';

  it('is the embedded default with nothing set', () => {
    expect(deliveryOptionsFromEnv({})).toEqual({ delivery: 'inline' });
  });

  it('runs the queue on PostgreSQL (pg-boss) with DATABASE_URL alone, migrating at start', () => {
    expect(deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'queue', DATABASE_URL: database })).toEqual({
      delivery: 'queue',
      database: { url: database, migrate: true },
    });
    expect(
      deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'queue', REDIS_URL: '', DATABASE_URL: database }),
    ).toEqual({ delivery: 'queue', database: { url: database, migrate: true } });
  });

  it('asks for REDIS_URL or DATABASE_URL in queue mode', () => {
    expect(() => deliveryOptionsFromEnv({ VISIWISE_DELIVERY: 'queue', DATABASE_URL: '' })).toThrow(
      'VISIWISE_DELIVERY=queue needs REDIS_URL (e.g. redis://127.0.0.1:6379) or DATABASE_URL',
    );
  });
});
