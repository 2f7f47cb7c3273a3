import { setTimeout as sleep } from 'node:timers/promises';
import type { VisiwiseDeliveryClaim } from './idempotency-store.interface';
import { MemoryIdempotencyStore } from './memory-idempotency.store';

async function claimed(store: MemoryIdempotencyStore, id: string, leaseMs = 60_000) {
  const claim = await store.claim(id, leaseMs);
  if (claim.status !== 'claimed') {
    throw new Error(`expected ${id} to be claimable, got ${claim.status}`);
  }
  return claim;
}

describe('MemoryIdempotencyStore', () => {
  it('lets one caller claim an id; others see in_progress, then completed', async () => {
    const store = new MemoryIdempotencyStore();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.claim('msg_1', 60_000)),
    );
    const winners = results.filter((r): r is VisiwiseDeliveryClaim => r.status === 'claimed');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 'in_progress')).toHaveLength(49);

    await store.complete(winners[0]!, 60_000);
    expect(await store.claim('msg_1', 60_000)).toEqual({ status: 'completed' });
  });

  it('release makes the id claimable again, but only for the claim that holds it', async () => {
    const store = new MemoryIdempotencyStore();
    const first = await claimed(store, 'msg_2');
    await store.release({ ...first, token: 'someone-else' });
    expect((await store.claim('msg_2', 60_000)).status).toBe('in_progress');
    await store.release(first);
    expect((await store.claim('msg_2', 60_000)).status).toBe('claimed');
  });

  it('release never drops a completion', async () => {
    const store = new MemoryIdempotencyStore();
    const claim = await claimed(store, 'msg_3');
    await store.complete(claim, 60_000);
    await store.release(claim);
    expect((await store.claim('msg_3', 60_000)).status).toBe('completed');
  });

  it('expires a claim after its lease (a crashed handler does not block retries forever)', async () => {
    const store = new MemoryIdempotencyStore();
    await claimed(store, 'msg_4', 30);
    expect((await store.claim('msg_4', 30)).status).toBe('in_progress');
    await sleep(60);
    expect((await store.claim('msg_4', 30)).status).toBe('claimed');
  });

  it('forgets a completion after its TTL', async () => {
    const store = new MemoryIdempotencyStore();
    await store.complete(await claimed(store, 'msg_5'), 30);
    expect((await store.claim('msg_5', 60_000)).status).toBe('completed');
    await sleep(60);
    expect((await store.claim('msg_5', 60_000)).status).toBe('claimed');
  });

  it('stays within its bound after 100k distinct ids, forgetting the oldest first', async () => {
    const maxEntries = 10_000;
    const store = new MemoryIdempotencyStore({ maxEntries });
    for (let i = 0; i < 100_000; i++) {
      const claim = await store.claim(`msg_${i}`, 60_000);
      if (claim.status === 'claimed') {
        await store.complete(claim, 3_600_000);
      }
      expect(store.size).toBeLessThanOrEqual(maxEntries);
    }
    expect(store.size).toBe(maxEntries);
    expect((await store.claim('msg_99999', 60_000)).status).toBe('completed');
    expect((await store.claim(`msg_${100_000 - maxEntries}`, 60_000)).status).toBe('completed');
    expect((await store.claim('msg_0', 60_000)).status).toBe('claimed');
  });
});
