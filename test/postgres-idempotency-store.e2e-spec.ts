import type { Pool } from 'pg';
import {
  PostgresIdempotencyStore,
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  migrateVisiwiseInbox,
} from 'nestjs-visiwise-webhook';
import { describeWithPostgres, testPool, useTestSchema } from './support/postgres';
import { TestPostgresServer, describeWithPostgresServer } from './support/postgres-server';

const LEASE = 60_000;
const TTL = 3_600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function claimed(result: VisiwiseClaimResult): VisiwiseDeliveryClaim {
  if (result.status !== 'claimed') {
    throw new Error(`expected a claim, got ${result.status}`);
  }
  return result;
}

describeWithPostgres('PostgresIdempotencyStore (real PostgreSQL, two app instances)', () => {
  const db = useTestSchema('store');
  // Two "instances": each its own pool (own connections) and store, on one database.
  let pools: Pool[];
  let stores: PostgresIdempotencyStore[];
  let endpointNo = 0;

  const storeOf = (pool: Pool, name: string) =>
    new PostgresIdempotencyStore(pool, { schema: db.name, namespace: name });

  beforeAll(async () => {
    await migrateVisiwiseInbox(db.pool, { schema: db.name });
    pools = [testPool(), testPool()];
  });
  beforeEach(() => {
    // A namespace (endpoint) per test: tests never see each other's rows.
    endpointNo += 1;
    stores = pools.map((pool) => storeOf(pool, `endpoint-${endpointNo}`));
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('gives an id to exactly one of 40 concurrent claimers', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => stores[i % 2]!.claim('msg_concurrent', LEASE)),
    );
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'in_progress')).toHaveLength(39);
  });

  it('claims, completes and releases in batches without deadlocks when the instances see ids in opposite orders', async () => {
    const [first, second] = stores as [PostgresIdempotencyStore, PostgresIdempotencyStore];
    const ids = Array.from({ length: 60 }, (_, i) => `msg_order_${String(i)}`);
    const results = await Promise.all([
      ...ids.map((id) => first.claim(id, LEASE)),
      ...[...ids].reverse().map((id) => second.claim(id, LEASE)),
    ]);
    const claims = results.filter((r): r is VisiwiseDeliveryClaim => r.status === 'claimed');
    expect(claims).toHaveLength(ids.length);
    // Half completed, half released, all at once; then a new claim finds each in its state.
    await Promise.all(
      claims.map((claim, i) => (i % 2 === 0 ? first.complete(claim, TTL) : second.release(claim))),
    );
    const after = await Promise.all(claims.map((claim) => second.claim(claim.id, LEASE)));
    expect(after.map((r) => r.status)).toEqual(
      claims.map((_claim, i) => (i % 2 === 0 ? 'completed' : 'claimed')),
    );
  });

  it('fails a claim stuck behind a lock after statementTimeoutMs, and claims other ids meanwhile', async () => {
    const [first] = stores as [PostgresIdempotencyStore];
    await first.complete(claimed(await first.claim('msg_locked', LEASE)), 1);
    await sleep(5);
    // Another session holds the row (a long transaction, a hung client): a claim of it must wait.
    const locker = await pools[1]!.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(
        `SELECT 1 FROM "${db.name}".visiwise_claims WHERE namespace = $1 AND id = $2 FOR UPDATE`,
        [`endpoint-${endpointNo}`, 'msg_locked'],
      );
      const timed = new PostgresIdempotencyStore(pools[0]!, {
        schema: db.name,
        namespace: `endpoint-${endpointNo}`,
        statementTimeoutMs: 300,
      });
      const started = Date.now();
      const stuck = timed.claim('msg_locked', LEASE);
      await expect(stuck).rejects.toThrow('no answer from PostgreSQL within 300 ms');
      expect(Date.now() - started).toBeLessThan(2000);
      // The hung statement no longer holds the claims that follow it.
      expect((await timed.claim('msg_free', LEASE)).status).toBe('claimed');
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
  });

  it('claims each of 200 ids exactly once when both instances claim all of them at once', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `msg_${i}`);
    const results = await Promise.all(
      ids.flatMap((id) =>
        stores.map(async (store) => ({ id, result: await store.claim(id, LEASE) })),
      ),
    );
    const winners = results.filter(({ result }) => result.status === 'claimed').map(({ id }) => id);
    expect(winners.sort()).toEqual([...ids].sort());
    expect(results.filter(({ result }) => result.status === 'in_progress')).toHaveLength(200);
  });

  it('lets a claim expire after its lease, then another instance claims it', async () => {
    claimed(await stores[0]!.claim('msg_lease', 100));
    expect((await stores[1]!.claim('msg_lease', 100)).status).toBe('in_progress');
    await sleep(200);
    expect((await stores[1]!.claim('msg_lease', LEASE)).status).toBe('claimed');
    expect((await stores[0]!.claim('msg_lease', LEASE)).status).toBe('in_progress');
  });

  it('remembers a completion for its TTL, on every instance', async () => {
    await stores[0]!.complete(claimed(await stores[0]!.claim('msg_done', LEASE)), 300);
    expect(await stores[1]!.claim('msg_done', LEASE)).toEqual({ status: 'completed' });
    expect(await stores[0]!.claim('msg_done', LEASE)).toEqual({ status: 'completed' });
    await sleep(400);
    expect((await stores[1]!.claim('msg_done', LEASE)).status).toBe('claimed');
  });

  it('completes unconditionally, like the Redis store: handled is handled, even after the lease', async () => {
    const late = claimed(await stores[0]!.claim('msg_late', 50));
    await sleep(100);
    claimed(await stores[1]!.claim('msg_late', LEASE));
    await stores[0]!.complete(late, TTL);
    expect(await stores[1]!.claim('msg_late', LEASE)).toEqual({ status: 'completed' });
  });

  it('releases only its own claim, and never a completion', async () => {
    const claim = claimed(await stores[0]!.claim('msg_release', LEASE));
    await stores[1]!.release({ ...claim, token: 'not-mine' });
    expect((await stores[1]!.claim('msg_release', LEASE)).status).toBe('in_progress');
    await stores[0]!.release(claim);
    const again = claimed(await stores[1]!.claim('msg_release', LEASE));
    await stores[1]!.complete(again, TTL);
    await stores[1]!.release(again);
    expect((await stores[0]!.claim('msg_release', LEASE)).status).toBe('completed');
  });

  it('keeps namespaces (endpoints) apart: one id on two endpoints is two claims', async () => {
    const other = storeOf(pools[1]!, `endpoint-${endpointNo}-other`);
    claimed(await stores[0]!.claim('msg_shared', LEASE));
    const second = claimed(await other.claim('msg_shared', LEASE));
    await other.complete(second, TTL);
    expect((await stores[1]!.claim('msg_shared', LEASE)).status).toBe('in_progress');
    expect((await other.claim('msg_shared', LEASE)).status).toBe('completed');
  });

  it('prunes only expired rows, in batches', async () => {
    const store = stores[0]!;
    // Rows of earlier tests, and of other namespaces, expire too: start from a clean table.
    await db.pool.query(`DELETE FROM "${db.name}".visiwise_claims`);
    for (let i = 0; i < 5; i++) {
      await store.claim(`msg_expiring_lease_${i}`, 1);
    }
    await store.complete(claimed(await store.claim('msg_expiring_done', LEASE)), 1);
    claimed(await store.claim('msg_live_lease', LEASE));
    await store.complete(claimed(await store.claim('msg_live_done', LEASE)), TTL);
    await sleep(50);

    expect(await store.pruneExpired({ batchSize: 2 })).toBe(6);
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT id FROM "${db.name}".visiwise_claims ORDER BY id`,
    );
    expect(rows.map((row) => row.id)).toEqual(['msg_live_done', 'msg_live_lease']);
    expect(await store.pruneExpired()).toBe(0);
  });

  it('refuses an empty namespace and an invalid schema at construction', () => {
    expect(() => new PostgresIdempotencyStore(pools[0]!, { namespace: '' })).toThrow('`namespace`');
    expect(
      () => new PostgresIdempotencyStore(pools[0]!, { namespace: 'x', schema: 'No Such' }),
    ).toThrow('`schema`');
  });
});

describeWithPostgresServer('PostgresIdempotencyStore when its server crashes', () => {
  let server: TestPostgresServer;
  let pool: Pool;
  let store: PostgresIdempotencyStore;

  beforeAll(async () => {
    server = await TestPostgresServer.start();
    pool = testPool(server.url);
    await migrateVisiwiseInbox(pool);
    store = new PostgresIdempotencyStore(pool, { namespace: 'orders' });
  }, 60_000);
  afterAll(async () => {
    await pool.end();
    await server.stop();
  });

  it('answers errors, never hangs, while the server is down, and works again after restart', async () => {
    await store.complete(claimed(await store.claim('msg_before', LEASE)), TTL);
    claimed(await store.claim('msg_in_flight', LEASE));

    await server.kill();
    const started = Date.now();
    await expect(store.claim('msg_during', LEASE)).rejects.toThrow();
    await expect(store.claim('msg_during', LEASE)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);

    await server.restart();
    // Committed before the crash, so recovered from the WAL: still deduplicated.
    expect(await store.claim('msg_before', LEASE)).toEqual({ status: 'completed' });
    expect((await store.claim('msg_in_flight', LEASE)).status).toBe('in_progress');
    expect((await store.claim('msg_during', LEASE)).status).toBe('claimed');
  });
});
