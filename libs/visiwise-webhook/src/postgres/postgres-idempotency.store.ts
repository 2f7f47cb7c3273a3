import { prepared } from './postgres-values';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from '../delivery/idempotency-store.interface';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { missingNamespaceMessage } from './postgres.messages';
import { InboxTables, type VisiwisePostgresTableOptions } from './postgres-tables';
import { positiveCount } from './postgres-values';

/** Options of {@link PostgresIdempotencyStore}. */
export interface PostgresIdempotencyStoreOptions extends VisiwisePostgresTableOptions {
  /**
   * The endpoint whose deliveries this store deduplicates: rows are keyed (namespace, id), so the
   * same `svix-id` on two endpoints is two claims.
   */
  namespace: string;
}

/** Options of {@link PostgresIdempotencyStore.pruneExpired}. */
export interface PostgresPruneOptions {
  /** Rows deleted per statement: small batches hold row locks briefly. @default 1000 */
  batchSize?: number;
}

const COMPLETED: VisiwiseClaimResult = Object.freeze({ status: 'completed' });
const IN_PROGRESS: VisiwiseClaimResult = Object.freeze({ status: 'in_progress' });

/** Whole milliseconds >= 1, like the Redis store's PX argument. */
function milliseconds(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/**
 * Idempotency store shared by every instance through PostgreSQL (the `<prefix>claims` table of
 * {@link migrateVisiwiseInbox}), for teams that run no Redis. Same semantics as
 * {@link RedisIdempotencyStore}: a claim is a lease that expires, a completion is remembered for
 * its TTL, a release drops only its own claim. All times come from the database's clock, so
 * instances with skewed clocks agree.
 *
 * Expired rows are not deleted on their own (an expired row is claimable again, so they are
 * harmless): call {@link pruneExpired} now and then, e.g. hourly.
 */
export class PostgresIdempotencyStore implements VisiwiseIdempotencyStore {
  private readonly namespace: string;
  private readonly claimSql: string;
  private readonly completeSql: string;
  private readonly releaseSql: string;
  private readonly pruneSql: string;
  private readonly claimStatement: { readonly name: string; readonly text: string };
  private readonly completeStatement: { readonly name: string; readonly text: string };
  private readonly releaseStatement: { readonly name: string; readonly text: string };

  /**
   * @param pool the application's pg pool; the store never ends it.
   * @throws VisiwiseConfigurationError for an empty namespace or an invalid schema / prefix.
   */
  constructor(
    private readonly pool: Pool,
    options: PostgresIdempotencyStoreOptions,
  ) {
    if (typeof options.namespace !== 'string' || options.namespace === '') {
      throw new VisiwiseConfigurationError(missingNamespaceMessage());
    }
    this.namespace = options.namespace;
    const claims = new InboxTables(options).claims;
    // One statement, so one round trip and atomic: insert the claim, or take over a row whose lease
    // or completion expired. The conflicting row is locked while its WHERE is evaluated, so of
    // concurrent claimers exactly one inserts or updates it. When nothing was written, the second
    // branch reads the row from the statement's snapshot to tell in_progress from completed.
    this.claimSql = `
      WITH claimed AS (
        INSERT INTO ${claims} AS c (namespace, id, state, token, expires_at)
        VALUES ($1, $2, 'in_progress', $3, now() + $4::double precision * interval '1 millisecond')
        ON CONFLICT (namespace, id) DO UPDATE
          SET state = 'in_progress', token = excluded.token, expires_at = excluded.expires_at
          WHERE c.expires_at <= now()
        RETURNING 'claimed'::text AS status
      )
      SELECT status FROM claimed
      UNION ALL
      -- An expired row we could not take: someone took it over concurrently.
      SELECT CASE WHEN c.expires_at <= now() THEN 'in_progress' ELSE c.state END
        FROM ${claims} c
       WHERE c.namespace = $1 AND c.id = $2 AND NOT EXISTS (SELECT 1 FROM claimed)`;
    // Unconditional, like the Redis store's SET: the handlers succeeded, so the event is handled
    // even if our lease ran out meanwhile (or the row was pruned); recording it stops re-handling.
    this.completeSql = `
      INSERT INTO ${claims} AS c (namespace, id, state, token, expires_at)
      VALUES ($1, $2, 'completed', NULL, now() + $3::double precision * interval '1 millisecond')
      ON CONFLICT (namespace, id) DO UPDATE
        SET state = 'completed', token = NULL, expires_at = excluded.expires_at`;
    this.releaseSql = `
      DELETE FROM ${claims}
       WHERE namespace = $1 AND id = $2 AND state = 'in_progress' AND token = $3`;
    // Locked rows (a claim being taken over right now) are skipped, never waited for. The outer
    // check repeats the expiry in case a row was taken over between the two reads.
    this.pruneSql = `
      DELETE FROM ${claims}
       WHERE ctid IN (SELECT ctid FROM ${claims} WHERE expires_at <= now()
                       LIMIT $1 FOR UPDATE SKIP LOCKED)
         AND expires_at <= now()`;
    this.claimStatement = prepared(this.claimSql);
    this.completeStatement = prepared(this.completeSql);
    this.releaseStatement = prepared(this.releaseSql);
  }

  async claim(id: string, leaseMs: number): Promise<VisiwiseClaimResult> {
    const token = randomUUID();
    const { rows } = await this.pool.query<{ status: string }>({
      ...this.claimStatement,
      values: [this.namespace, id, token, milliseconds(leaseMs)],
    });
    const status = rows[0]?.status;
    if (status === 'claimed') {
      return { status: 'claimed', id, token };
    }
    // No row: it was claimed concurrently (committed after our snapshot), so it is in progress.
    return status === 'completed' ? COMPLETED : IN_PROGRESS;
  }

  async complete(claim: VisiwiseDeliveryClaim, ttlMs: number): Promise<void> {
    await this.pool.query({
      ...this.completeStatement,
      values: [this.namespace, claim.id, milliseconds(ttlMs)],
    });
  }

  async release(claim: VisiwiseDeliveryClaim): Promise<void> {
    await this.pool.query({
      ...this.releaseStatement,
      values: [this.namespace, claim.id, claim.token],
    });
  }

  /**
   * Deletes the rows whose lease or completion expired, of every namespace, in batches of
   * `batchSize` rows per statement until none is left; returns how many it deleted.
   *
   * @throws RangeError for a batch size that is not a whole number >= 1.
   */
  async pruneExpired(options: PostgresPruneOptions = {}): Promise<number> {
    const batchSize = positiveCount(options.batchSize, 1000, 'batchSize');
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(this.pruneSql, [batchSize]);
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) {
        return deleted;
      }
    }
  }
}
