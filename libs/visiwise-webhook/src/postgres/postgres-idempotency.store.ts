import { prepared } from './postgres-values';
import { StatementBatcher } from './statement-batcher';
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
  /**
   * How long a claim, completion or release statement may take before it fails, so that a hung
   * connection cannot hold the deliveries claimed after it. @default none (the pool's own timeouts)
   */
  statementTimeoutMs?: number;
}

/** Options of {@link PostgresIdempotencyStore.pruneExpired}. */
export interface PostgresPruneOptions {
  /** Rows deleted per statement: small batches hold row locks briefly. @default 1000 */
  batchSize?: number;
}

/** A claim, completion or release waiting for its statement. */
interface ClaimInput {
  readonly id: string;
  readonly token: string;
  /** The lease (claim) or TTL (completion), in whole milliseconds. */
  readonly ms: number;
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
  private readonly pruneSql: string;
  // Concurrent calls share one statement each (see StatementBatcher).
  private readonly claims: StatementBatcher<ClaimInput, string | null>;
  private readonly completions: StatementBatcher<ClaimInput, undefined>;
  private readonly releases: StatementBatcher<ClaimInput, undefined>;

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
    const namespace = options.namespace;
    const claims = new InboxTables(options).claims;
    // One statement, so one round trip and atomic: insert each claim, or take over a row whose
    // lease or completion expired. A conflicting row is locked while its WHERE is evaluated, so of
    // concurrent claimers exactly one inserts or updates it. For an id nothing was written for,
    // the row as the statement's snapshot sees it tells in_progress from completed.
    const claimStatement = prepared(`
      WITH input AS (
        SELECT * FROM unnest($2::text[], $3::text[], $4::double precision[]) AS i(id, token, ms)
      ), claimed AS (
        INSERT INTO ${claims} AS c (namespace, id, state, token, expires_at)
        SELECT $1, i.id, 'in_progress', i.token, now() + i.ms * interval '1 millisecond'
          FROM input i
        ON CONFLICT (namespace, id) DO UPDATE
          SET state = 'in_progress', token = excluded.token, expires_at = excluded.expires_at
          WHERE c.expires_at <= now()
        RETURNING c.id
      )
      SELECT i.id,
             CASE WHEN EXISTS (SELECT 1 FROM claimed k WHERE k.id = i.id) THEN 'claimed'
                  -- An expired row we could not take: someone took it over concurrently.
                  ELSE (SELECT CASE WHEN c.expires_at <= now() THEN 'in_progress' ELSE c.state END
                          FROM ${claims} c WHERE c.namespace = $1 AND c.id = i.id)
             END AS status
        FROM input i`);
    // Unconditional, like the Redis store's SET: the handlers succeeded, so the event is handled
    // even if our lease ran out meanwhile (or the row was pruned); recording it stops re-handling.
    const completeStatement = prepared(`
      INSERT INTO ${claims} AS c (namespace, id, state, token, expires_at)
      SELECT $1, i.id, 'completed', NULL, now() + i.ms * interval '1 millisecond'
        FROM unnest($2::text[], $3::double precision[]) AS i(id, ms)
      ON CONFLICT (namespace, id) DO UPDATE
        SET state = 'completed', token = NULL, expires_at = excluded.expires_at`);
    const releaseStatement = prepared(`
      DELETE FROM ${claims} c
       USING unnest($2::text[], $3::text[]) AS i(id, token)
       WHERE c.namespace = $1 AND c.id = i.id AND c.state = 'in_progress' AND c.token = i.token`);
    // Locked rows (a claim being taken over right now) are skipped, never waited for. The outer
    // check repeats the expiry in case a row was taken over between the two reads.
    this.pruneSql = `
      DELETE FROM ${claims}
       WHERE ctid IN (SELECT ctid FROM ${claims} WHERE expires_at <= now()
                       LIMIT $1 FOR UPDATE SKIP LOCKED)
         AND expires_at <= now()`;
    const batching = {
      key: ({ id }: ClaimInput): string => id,
      timeoutMs: options.statementTimeoutMs,
    };
    this.claims = new StatementBatcher(async (inputs) => {
      const { rows } = await this.pool.query<{ id: string; status: string | null }>({
        ...claimStatement,
        values: [
          namespace,
          inputs.map(({ id }) => id),
          inputs.map(({ token }) => token),
          inputs.map(({ ms }) => ms),
        ],
      });
      const status = new Map(rows.map((row) => [row.id, row.status]));
      return inputs.map(({ id }) => status.get(id) ?? null);
    }, batching);
    // Completion and release answer nothing: one statement per batch, the id and one more column.
    const writes = (statement: typeof completeStatement, column: 'ms' | 'token') =>
      new StatementBatcher<ClaimInput, undefined>(async (inputs) => {
        const values = [
          namespace,
          inputs.map(({ id }) => id),
          inputs.map((input) => input[column]),
        ];
        await this.pool.query({ ...statement, values });
        return inputs.map(() => undefined);
      }, batching);
    this.completions = writes(completeStatement, 'ms');
    this.releases = writes(releaseStatement, 'token');
  }

  async claim(id: string, leaseMs: number): Promise<VisiwiseClaimResult> {
    const token = randomUUID();
    const status = await this.claims.submit({ id, token, ms: milliseconds(leaseMs) });
    if (status === 'claimed') {
      return { status: 'claimed', id, token };
    }
    // No row: it was claimed concurrently (committed after our snapshot), so it is in progress.
    return status === 'completed' ? COMPLETED : IN_PROGRESS;
  }

  async complete(claim: VisiwiseDeliveryClaim, ttlMs: number): Promise<void> {
    await this.completions.submit({ id: claim.id, token: claim.token, ms: milliseconds(ttlMs) });
  }

  async release(claim: VisiwiseDeliveryClaim): Promise<void> {
    await this.releases.submit({ id: claim.id, token: claim.token, ms: 0 });
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
