import {
  PostgresDeliveryLog,
  VisiwiseDeliveryLogEntry,
  VisiwiseDeliveryLogFilter,
  VisiwiseDeliveryLogStatus,
  VisiwiseLoggedDelivery,
  migrateVisiwiseInbox,
} from 'nestjs-visiwise-webhook';
import { invalidCursorMessage } from '../libs/visiwise-webhook/src/postgres/postgres.messages';
import { describeWithPostgres, testPool, useTestSchema } from './support/postgres';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

function entry(
  deliveryId: string,
  overrides: Partial<VisiwiseDeliveryLogEntry> = {},
): VisiwiseDeliveryLogEntry {
  return {
    endpoint: 'main',
    deliveryId,
    eventType: 'shipment.tracked',
    svixTimestamp: at(0),
    receivedAt: at(0),
    rawBody: Buffer.from(JSON.stringify({ type: 'shipment.tracked', id: deliveryId })),
    ...overrides,
  };
}

const ids = (items: readonly VisiwiseLoggedDelivery[]) => items.map((item) => item.deliveryId);

describeWithPostgres('PostgresDeliveryLog (real PostgreSQL)', () => {
  const db = useTestSchema('log');

  /** A log on a schema of its own, migrated: each test sees only its rows. */
  async function freshLog(): Promise<{ log: PostgresDeliveryLog; schema: string }> {
    const schema = db.another('log');
    await migrateVisiwiseInbox(db.pool, { schema });
    return { log: new PostgresDeliveryLog(db.pool, { schema }), schema };
  }

  describe('record and get', () => {
    it('records a delivery once: a retry of the same id does not duplicate it', async () => {
      const { log, schema } = await freshLog();
      const first = entry('msg_1', {
        headers: {
          'Svix-Id': 'msg_1',
          'svix-timestamp': '1748779200',
          'svix-signature': 'v1,c2lnbmF0dXJl',
          'webhook-signature': 'v1,c2lnbmF0dXJl',
          'content-type': 'application/json',
          authorization: 'Bearer token',
        },
        issues: ['data.trackingReference is missing'],
        trackingRefs: [' mscu1234566 ', 'MSCU1234566', 'BL-778899', ''],
      });
      expect(await log.record(first)).toBe(true);
      expect(await log.record({ ...first, rawBody: Buffer.from('other bytes') })).toBe(false);
      // Same id on another endpoint or tenant: another delivery.
      expect(await log.record({ ...first, endpoint: 'other' })).toBe(true);
      expect(await log.record({ ...first, tenant: 'acme' })).toBe(true);

      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".visiwise_deliveries`,
      );
      expect(rows).toEqual([{ n: 3 }]);
      const got = await log.get({ endpoint: 'main', deliveryId: 'msg_1' });
      expect(got).toMatchObject({
        endpoint: 'main',
        tenant: '',
        deliveryId: 'msg_1',
        eventType: 'shipment.tracked',
        svixTimestamp: at(0),
        receivedAt: at(0),
        status: 'received',
        attempts: 0,
        lastError: null,
        handledAt: null,
        issues: ['data.trackingReference is missing'],
        trackingRefs: ['MSCU1234566', 'BL-778899'],
        bodyBytes: first.rawBody.byteLength,
        history: [],
      });
      expect(got?.rawBody.equals(Buffer.from(first.rawBody))).toBe(true);
      // Id and timestamp kept; signatures and anything else dropped.
      expect(got?.headers).toEqual({
        'svix-id': 'msg_1',
        'svix-timestamp': '1748779200',
        'content-type': 'application/json',
      });
      expect(await log.get({ endpoint: 'main', deliveryId: 'msg_unknown' })).toBeUndefined();
    });

    it('keeps an unparseable delivery with its reason, and text PostgreSQL would refuse', async () => {
      const { log } = await freshLog();
      const key = { endpoint: 'main', deliveryId: 'msg_bad' };
      expect(
        await log.record({
          ...entry('msg_bad'),
          eventType: null,
          status: 'unparseable',
          error: 'invalid_json: Unexpected token \0',
          rawBody: Buffer.from([0x7b, 0x00, 0xff]),
        }),
      ).toBe(true);
      expect(await log.get(key)).toMatchObject({
        eventType: null,
        status: 'unparseable',
        lastError: 'invalid_json: Unexpected token \uFFFD',
        rawBody: Buffer.from([0x7b, 0x00, 0xff]),
      });
    });

    it('tracks status and attempts, with error text truncated', async () => {
      const { log, schema } = await freshLog();
      const key = { endpoint: 'main', deliveryId: 'msg_retry' };
      await log.record(entry('msg_retry'));

      const huge = new Error(`downstream said ${'no '.repeat(5000)}`);
      await log.recordAttempt(key, {
        attempt: 1,
        startedAt: at(1),
        finishedAt: at(2),
        outcome: 'failed',
        error: huge,
      });
      expect(await log.markFailed(key, huge, 1)).toBe(true);
      let got = await log.get(key);
      expect(got).toMatchObject({ status: 'failed', attempts: 1 });
      expect(got?.lastError).toHaveLength(2000);
      expect(got?.lastError?.startsWith('Error: downstream said no no')).toBe(true);

      await log.recordAttempt(key, { attempt: 2, startedAt: at(3), outcome: 'handled' });
      expect(await log.markHandled(key)).toBe(true);
      got = await log.get(key);
      expect(got?.status).toBe('handled');
      expect(got?.handledAt).toBeInstanceOf(Date);
      expect(got?.history.map(({ attempt, outcome }) => ({ attempt, outcome }))).toEqual([
        { attempt: 1, outcome: 'failed' },
        { attempt: 2, outcome: 'handled' },
      ]);
      expect(got?.history[0]).toMatchObject({ startedAt: at(1), finishedAt: at(2) });
      expect(got?.history[0]?.error).toHaveLength(2000);
      expect(got?.history[1]?.error).toBeNull();

      // The same attempt number again replaces that attempt.
      await log.recordAttempt(key, { attempt: 2, startedAt: at(4), outcome: 'failed', error: 'x' });
      expect((await log.get(key))?.history).toHaveLength(2);
      expect((await log.get(key))?.history[1]).toMatchObject({ outcome: 'failed', error: 'x' });

      expect(await log.markDead(key, 'gave up')).toBe(true);
      expect(await log.get(key)).toMatchObject({ status: 'dead', lastError: 'gave up' });
      expect(await log.markDead(key)).toBe(true);
      expect(await log.get(key)).toMatchObject({ status: 'dead', lastError: 'gave up' });

      const unknown = { endpoint: 'main', deliveryId: 'msg_nowhere' };
      expect(await log.markHandled(unknown)).toBe(false);
      expect(await log.markFailed(unknown, 'x', 1)).toBe(false);
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".visiwise_attempts`,
      );
      expect(rows).toEqual([{ n: 2 }]);
    });
  });

  describe('concurrent writes (one statement for many deliveries)', () => {
    it('records 300 concurrent deliveries, each once, with its own body and outcome', async () => {
      const { log, schema } = await freshLog();
      const deliveryIds = Array.from({ length: 300 }, (_, i) => `msg_${String(i)}`);
      const recorded = await Promise.all(
        deliveryIds.map((id, i) =>
          log.record(entry(id, { rawBody: Buffer.from(`body ${id}`), trackingRefs: [`REF${i}`] })),
        ),
      );
      expect(recorded.every(Boolean)).toBe(true);
      // Copies of the same ids at once: none recorded again.
      const again = await Promise.all(deliveryIds.map((id) => log.record(entry(id))));
      expect(again.some(Boolean)).toBe(false);
      const attempts = await Promise.all(
        deliveryIds.map((id, i) =>
          log.finishAttempt(
            { endpoint: 'main', deliveryId: id },
            i % 3 === 0
              ? {
                  startedAt: at(1),
                  outcome: 'failed',
                  error: new Error(`boom ${id}`),
                  final: false,
                }
              : { startedAt: at(1), outcome: 'handled', final: false },
          ),
        ),
      );
      expect(attempts).toEqual(deliveryIds.map(() => 1));
      const { rows } = await db.pool.query<{
        delivery_id: string;
        body: string;
        status: string;
        last_error: string | null;
        refs: string[];
      }>(
        `SELECT delivery_id, convert_from(raw_body, 'UTF8') AS body, status, last_error,
                tracking_refs AS refs
           FROM "${schema}".visiwise_deliveries`,
      );
      expect(rows).toHaveLength(300);
      for (const row of rows) {
        const i = Number(row.delivery_id.slice(4));
        expect(row.body).toBe(`body ${row.delivery_id}`);
        expect(row.refs).toEqual([`REF${i}`]);
        expect(row.status).toBe(i % 3 === 0 ? 'failed' : 'handled');
        if (i % 3 === 0) expect(row.last_error).toContain(`boom ${row.delivery_id}`);
      }
    });

    it('numbers the attempts of one delivery finished concurrently 1, 2, 3 (never two the same)', async () => {
      const { log } = await freshLog();
      await log.record(entry('msg_busy'));
      const key = { endpoint: 'main', deliveryId: 'msg_busy' };
      const numbers = await Promise.all(
        [1, 2, 3].map(() =>
          log.finishAttempt(key, { startedAt: at(1), outcome: 'failed', error: 'x', final: false }),
        ),
      );
      expect([...numbers].sort()).toEqual([1, 2, 3]);
      expect((await log.get(key))?.history.map((a) => a.attempt)).toEqual([1, 2, 3]);
    });

    it('fails only the delivery PostgreSQL refuses, not those written with it', async () => {
      const { log } = await freshLog();
      const results = await Promise.allSettled([
        log.record(entry('msg_a')),
        // Text cannot hold NUL: PostgreSQL refuses this row, and with it the whole statement.
        log.record(entry('msg_\0_nul')),
        log.record(entry('msg_b')),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(await log.get({ endpoint: 'main', deliveryId: 'msg_a' })).toBeDefined();
      expect(await log.get({ endpoint: 'main', deliveryId: 'msg_b' })).toBeDefined();
    });

    it('two instances recording the same deliveries in opposite orders never deadlock', async () => {
      const { schema } = await freshLog();
      const pools = [testPool(), testPool()];
      try {
        const logs = pools.map((pool) => new PostgresDeliveryLog(pool, { schema }));
        for (let round = 0; round < 10; round++) {
          const keys = Array.from({ length: 40 }, (_, i) => `msg_${String(round)}_${String(i)}`);
          const [first, second] = logs as [PostgresDeliveryLog, PostgresDeliveryLog];
          const results = await Promise.all([
            ...keys.map((id) => first.record(entry(id))),
            ...[...keys].reverse().map((id) => second.record(entry(id))),
          ]);
          // Each delivery recorded by exactly one of the two.
          expect(results.filter(Boolean)).toHaveLength(keys.length);
        }
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
    });
  });

  describe('list, search and summary', () => {
    let log: PostgresDeliveryLog;
    const seeded: VisiwiseDeliveryLogEntry[] = [];
    const statusOf = new Map<string, VisiwiseDeliveryLogStatus>();

    beforeAll(async () => {
      ({ log } = await freshLog());
      const types = ['shipment.tracked', 'shipment.tracking_failed', null] as const;
      for (let i = 0; i < 30; i++) {
        const type: string | null = types[i % 3] ?? null;
        const seed = entry(`msg_${String(i).padStart(2, '0')}`, {
          endpoint: i % 2 === 0 ? 'main' : 'eu',
          tenant: i % 5 === 0 ? 'acme' : '',
          eventType: type,
          receivedAt: at(i),
          status: type === null ? 'unparseable' : 'received',
          trackingRefs: [`MSCU${1000000 + i}`, ...(i % 4 === 0 ? ['BL-SHARED'] : [])],
        });
        seeded.push(seed);
        await log.record(seed);
        const key = { endpoint: seed.endpoint, tenant: seed.tenant, deliveryId: seed.deliveryId };
        let status: VisiwiseDeliveryLogStatus = seed.status ?? 'received';
        if (type !== null && i % 3 === 0) {
          await log.markHandled(key);
          status = 'handled';
        } else if (type !== null && i % 7 === 1) {
          await log.markFailed(key, 'boom', 1);
          status = 'failed';
        }
        statusOf.set(seed.deliveryId, status);
      }
    });

    /** The seeded ids a filter should return, newest first. */
    function expected(match: (seed: VisiwiseDeliveryLogEntry) => boolean): string[] {
      return seeded
        .filter(match)
        .sort((a, b) => b.receivedAt!.getTime() - a.receivedAt!.getTime())
        .map((seed) => seed.deliveryId);
    }

    it('lists everything newest first', async () => {
      const page = await log.list({}, { limit: 500 });
      expect(ids(page.items)).toEqual(expected(() => true));
      expect(page.nextCursor).toBeUndefined();
    });

    it.each<[string, VisiwiseDeliveryLogFilter, (seed: VisiwiseDeliveryLogEntry) => boolean]>([
      ['status', { status: 'handled' }, (s) => statusOf.get(s.deliveryId) === 'handled'],
      [
        'type',
        { type: 'shipment.tracking_failed' },
        (s) => s.eventType === 'shipment.tracking_failed',
      ],
      ['endpoint', { endpoint: 'eu' }, (s) => s.endpoint === 'eu'],
      ['tenant', { tenant: 'acme' }, (s) => s.tenant === 'acme'],
      [
        'received range',
        { receivedFrom: at(10), receivedBefore: at(20) },
        (s) => s.receivedAt! >= at(10) && s.receivedAt! < at(20),
      ],
      [
        'several at once',
        { endpoint: 'main', type: 'shipment.tracked', receivedFrom: at(6) },
        (s) =>
          s.endpoint === 'main' && s.eventType === 'shipment.tracked' && s.receivedAt! >= at(6),
      ],
    ])('narrows by %s', async (_name, filter, match) => {
      const want = expected(match);
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(seeded.length);
      expect(ids((await log.list(filter, { limit: 500 })).items)).toEqual(want);
    });

    it('finds by exact delivery id or by tracking reference (any case), q', async () => {
      expect(ids((await log.list({ q: 'msg_07' })).items)).toEqual(['msg_07']);
      expect(ids((await log.list({ q: ' mscu1000011 ' })).items)).toEqual(['msg_11']);
      expect(ids((await log.list({ q: 'bl-shared' }, { limit: 500 })).items)).toEqual(
        expected((s) => s.trackingRefs?.includes('BL-SHARED') === true),
      );
      expect((await log.list({ q: 'MSG_07' })).items).toEqual([]);
      expect((await log.list({ q: 'MSCU100' })).items).toEqual([]);
      expect(ids((await log.list({ q: 'bl-shared', endpoint: 'eu' })).items)).toEqual(
        expected((s) => s.endpoint === 'eu' && s.trackingRefs?.includes('BL-SHARED') === true),
      );
    });

    it('summarises by status and by type', async () => {
      const count = (match: (seed: VisiwiseDeliveryLogEntry) => boolean) =>
        seeded.filter(match).length;
      const byStatus = (status: VisiwiseDeliveryLogStatus) =>
        count((s) => statusOf.get(s.deliveryId) === status);
      expect(await log.summary()).toEqual({
        total: 30,
        byStatus: {
          received: byStatus('received'),
          handled: byStatus('handled'),
          failed: byStatus('failed'),
          dead: 0,
          unparseable: byStatus('unparseable'),
        },
        byType: [
          { type: null, count: 10 },
          { type: 'shipment.tracked', count: 10 },
          { type: 'shipment.tracking_failed', count: 10 },
        ],
      });
    });
  });

  describe('keyset paging', () => {
    it('walks every row exactly once, with ties on received_at and sub-millisecond times', async () => {
      const { log, schema } = await freshLog();
      // 103 rows over 9 distinct instants: most pages start and end inside a tie.
      for (let i = 0; i < 103; i++) {
        await log.record(entry(`msg_${i}`, { receivedAt: at(i % 9) }));
      }
      // Microseconds apart, within one millisecond: a Date cursor would round them together.
      await db.pool.query(
        `UPDATE "${schema}".visiwise_deliveries
            SET received_at = received_at + (seq % 5) * interval '1 microsecond'
          WHERE received_at = $1`,
        [at(4)],
      );

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await log.list({}, { limit: 10, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...ids(page.items));
        cursor = page.nextCursor;
        pages++;
        if (pages === 2) {
          // Recorded mid-walk, newer than every page: it neither shifts nor repeats the rest.
          await log.record(entry('msg_new', { receivedAt: at(60) }));
        }
      } while (cursor !== undefined);

      expect(pages).toBe(11);
      expect(seen).toHaveLength(103);
      expect(new Set(seen).size).toBe(103);
      const { rows } = await db.pool.query<{ delivery_id: string }>(
        `SELECT delivery_id FROM "${schema}".visiwise_deliveries
          WHERE delivery_id <> 'msg_new' ORDER BY received_at DESC, seq DESC`,
      );
      expect(seen).toEqual(rows.map((row) => row.delivery_id));
    });

    it('pages a filtered list too, and refuses a cursor it did not make', async () => {
      const { log } = await freshLog();
      for (let i = 0; i < 25; i++) {
        await log.record(entry(`msg_${i}`, { receivedAt: at(i % 3), endpoint: i % 2 ? 'a' : 'b' }));
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await log.list({ endpoint: 'a' }, { limit: 4, ...(cursor ? { cursor } : {}) });
        seen.push(...ids(page.items));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen.sort()).toEqual(Array.from({ length: 12 }, (_, k) => `msg_${2 * k + 1}`).sort());
      await expect(log.list({}, { cursor: "2025-01-01'; DROP TABLE x; --" })).rejects.toThrow(
        new RangeError(invalidCursorMessage()),
      );
      await expect(log.list({}, { limit: 0 })).rejects.toThrow(RangeError);
    });
  });

  describe('prune', () => {
    it('deletes old deliveries in batches, with their attempts, and keeps dead and unparseable ones', async () => {
      const { log, schema } = await freshLog();
      const old = at(-60 * 24 * 40);
      const kept: string[] = [];
      for (let i = 0; i < 11; i++) {
        const key = { endpoint: 'main', deliveryId: `old_${i}` };
        await log.record(entry(key.deliveryId, { receivedAt: old }));
        await log.recordAttempt(key, { attempt: 1, startedAt: old, outcome: 'handled' });
        if (i % 3 === 0) await log.markHandled(key);
        if (i % 3 === 1) await log.markFailed(key, 'boom', 1);
      }
      await log.record(entry('old_dead', { receivedAt: old }));
      await log.markDead({ endpoint: 'main', deliveryId: 'old_dead' }, 'exhausted');
      await log.record(
        entry('old_bad', { receivedAt: old, eventType: null, status: 'unparseable' }),
      );
      await log.record(entry('recent', { receivedAt: at(0) }));
      kept.push('old_dead', 'old_bad', 'recent');

      expect(await log.prune({ olderThan: at(-60 * 24 * 30), batchSize: 3 })).toBe(11);
      const remaining = await log.list({}, { limit: 500 });
      expect(ids(remaining.items).sort()).toEqual([...kept].sort());
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".visiwise_attempts`,
      );
      expect(rows).toEqual([{ n: 0 }]);
      expect(await log.prune({ olderThan: at(-60 * 24 * 30) })).toBe(0);
      await expect(log.prune({ olderThan: new Date(Number.NaN) })).rejects.toThrow(RangeError);
    });
  });
});
