import type Redis from 'ioredis';
import { RedisIdempotencyStore, VisiwiseDeliveryClaim } from 'nestjs-visiwise-webhook';
import { deleteKeys, describeWithRedis, testRedisClient, uniqueName } from './support/redis';

describeWithRedis('RedisIdempotencyStore (real Redis)', () => {
  let client: Redis;
  let keyPrefix: string;
  let store: RedisIdempotencyStore;

  beforeAll(() => {
    client = testRedisClient();
  });
  beforeEach(() => {
    keyPrefix = `${uniqueName('idem')}:`;
    store = new RedisIdempotencyStore(client, { keyPrefix });
  });
  afterEach(async () => {
    await deleteKeys(client, keyPrefix);
  });
  afterAll(async () => {
    await client.quit();
  });

  it('gives an id to exactly one of 50 concurrent claimers, across two clients', async () => {
    const other = testRedisClient();
    try {
      const stores = [store, new RedisIdempotencyStore(other, { keyPrefix })];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 2]!.claim('msg_concurrent', 60_000)),
      );
      expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'in_progress')).toHaveLength(49);
    } finally {
      await other.quit();
    }
  });

  it('remembers a completion for its TTL, in Redis', async () => {
    const claim = (await store.claim('msg_done', 60_000)) as VisiwiseDeliveryClaim;
    await store.complete(claim, 3_600_000);
    expect(await store.claim('msg_done', 60_000)).toEqual({ status: 'completed' });
    expect(await client.get(`${keyPrefix}msg_done`)).toBe('completed');
    const ttl = await client.pttl(`${keyPrefix}msg_done`);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('releases only its own claim, and never a completion', async () => {
    const claim = (await store.claim('msg_release', 60_000)) as VisiwiseDeliveryClaim;
    await store.release({ ...claim, token: 'not-mine' });
    expect((await store.claim('msg_release', 60_000)).status).toBe('in_progress');
    await store.release(claim);
    const again = (await store.claim('msg_release', 60_000)) as VisiwiseDeliveryClaim;
    expect(again.status).toBe('claimed');
    await store.complete(again, 60_000);
    await store.release(again);
    expect((await store.claim('msg_release', 60_000)).status).toBe('completed');
  });

  it('lets a claim expire after its lease', async () => {
    await store.claim('msg_lease', 50);
    expect((await store.claim('msg_lease', 50)).status).toBe('in_progress');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await store.claim('msg_lease', 50)).status).toBe('claimed');
  });
});
