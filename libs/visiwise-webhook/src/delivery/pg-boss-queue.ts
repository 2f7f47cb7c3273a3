import type { Pool, PoolClient } from 'pg';
import type PgBoss from 'pg-boss';
import type { VisiwiseQueueCounts } from '../observability/visiwise-metrics';
import type { ResolvedDeliveryConfig } from './delivery-config';
import { pgBossJobMissingMessage } from './delivery.messages';
import { VisiwiseJobData, pgBossJobIdFor, pgBossUnparseableJobIdFor } from './queued-event';
import { isUnparseableDelivery } from './unparseable-delivery';

/** A job as the worker takes it (with its attempt counters). */
export type PgBossJob = PgBoss.JobWithMetadata<VisiwiseJobData>;

/** A failed job as the dead letters read it. */
export interface FailedPgBossJob {
  readonly id: string;
  readonly data: VisiwiseJobData;
  /** What the job failed with: `{ message }` as this package fails jobs, or pg-boss's own shape. */
  readonly output: unknown;
  readonly retryCount: number;
  readonly startedOn: Date | null;
  readonly completedOn: Date | null;
}

/** An `executeSql` over one connection, for pg-boss calls inside a transaction of ours. */
function onClient(client: PoolClient): PgBoss.Db {
  return {
    executeSql: (text, values) => client.query(text, values),
  };
}

/**
 * One endpoint's queue in pg-boss: its job ids and send options, and the few reads and writes
 * pg-boss 10 has no call for, made on its job table directly (`<schema>.job`, partitioned by queue
 * name). Those use only columns and states that every pg-boss 10 schema has (`id, name, data,
 * state, retry_count, retry_limit, started_on, completed_on, start_after, output`), and writes go
 * through pg-boss's own calls (send, fail, deleteJob) wherever one exists.
 */
export class PgBossQueue implements VisiwiseQueueCounts {
  private readonly table: string;
  private readonly retryDelaySeconds: number;
  /** The job expiry, in the whole seconds pg-boss counts it in. */
  readonly expireInSeconds: number;
  private readonly sentListeners = new Set<() => void>();

  constructor(
    private readonly boss: PgBoss,
    private readonly pool: Pool,
    /** The pg-boss schema: validated as a plain lower-case identifier (delivery-config). */
    schema: string,
    private readonly config: ResolvedDeliveryConfig['queue'],
  ) {
    this.table = `"${schema}".job`;
    this.retryDelaySeconds = Math.max(1, Math.round(config.backoffDelayMs / 1000));
    this.expireInSeconds = Math.max(1, Math.ceil(config.lockDurationMs / 1000));
  }

  /** The queue's name in pg-boss. */
  get name(): string {
    return this.config.name;
  }

  /** The job id of a delivery's event in this queue. */
  jobIdFor(deliveryId: string, tenant?: string): string {
    return pgBossJobIdFor(this.name, deliveryId, tenant);
  }

  /** The job id of a delivery kept as unparseable in this queue. */
  unparseableJobIdFor(deliveryId: string, tenant?: string): string {
    return pgBossUnparseableJobIdFor(this.name, deliveryId, tenant);
  }

  /** Calls `listener` whenever this process has sent a job (to wake a local worker). */
  onSent(listener: () => void): void {
    this.sentListeners.add(listener);
  }

  /**
   * Creates the job unless one of its id exists; resolves whether it created it. Throws when pg-boss
   * stored nothing and holds no such job (its queue is missing): nothing may be acknowledged then.
   */
  async send(data: VisiwiseJobData, id: string, db?: PgBoss.Db): Promise<boolean> {
    const created = await this.boss.send(this.name, data, {
      ...this.sendOptions(data),
      id,
      ...(db === undefined ? {} : { db }),
    });
    if (created !== null) {
      if (db === undefined) {
        this.sent();
      }
      return true;
    }
    // ON CONFLICT DO NOTHING: the job exists (Svix's retry of a stored delivery), or the insert
    // found no queue row to join. Only the first is a reason to answer 2xx.
    const existing = await this.boss.getJobById(this.name, id, {
      includeArchive: false,
      ...(db === undefined ? {} : { db }),
    });
    if (existing === null) {
      throw new Error(pgBossJobMissingMessage(this.name));
    }
    return false;
  }

  /** Takes up to `batchSize` jobs (pg-boss answers none when the database fails). */
  fetch(batchSize: number): Promise<PgBossJob[]> {
    return this.boss.fetch<VisiwiseJobData>(this.name, { batchSize, includeMetadata: true });
  }

  async complete(id: string): Promise<void> {
    await this.boss.complete(this.name, id);
  }

  /** Fails an attempt: pg-boss retries the job after its backoff while attempts remain. */
  async fail(id: string, message: string): Promise<void> {
    await this.boss.fail(this.name, id, { message });
  }

  /**
   * Fails an active job with no retry (a type no handler takes, a body that is still no event):
   * its retry budget is spent first, so pg-boss's own fail moves it to `failed`. Should the second
   * step not happen, the job is failed for good at its expiry all the same.
   */
  async failForGood(id: string, message: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.table} SET retry_limit = retry_count
        WHERE name = $1 AND id = $2 AND state = 'active'`,
      [this.name, id],
    );
    await this.fail(id, message);
  }

  /**
   * Job counts by the states the `queue_jobs` gauge reports (BullMQ's names): created or retrying
   * jobs due now are `waiting`, those due later (backoff) `delayed`.
   */
  async getJobCounts(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<Record<string, string>>(
      `SELECT count(*) FILTER (WHERE state < 'active' AND start_after <= now()) AS waiting,
              count(*) FILTER (WHERE state < 'active' AND start_after > now()) AS delayed,
              count(*) FILTER (WHERE state = 'active') AS active,
              count(*) FILTER (WHERE state = 'failed') AS failed
         FROM ${this.table} WHERE name = $1`,
      [this.name],
    );
    const [counts] = rows;
    return Object.fromEntries(
      ['waiting', 'delayed', 'active', 'failed'].map((state) => [state, Number(counts?.[state])]),
    );
  }

  /** How many jobs are failed (the dead letters). */
  async failedCount(): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${this.table} WHERE name = $1 AND state = 'failed'`,
      [this.name],
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** Failed jobs, most recently failed first. */
  async failedJobs(offset: number, limit: number): Promise<FailedPgBossJob[]> {
    const { rows } = await this.pool.query<FailedPgBossJob>(
      `SELECT id, data, output, retry_count AS "retryCount", started_on AS "startedOn",
              completed_on AS "completedOn"
         FROM ${this.table} WHERE name = $1 AND state = 'failed'
        ORDER BY completed_on DESC, id DESC LIMIT $2 OFFSET $3`,
      [this.name, limit, offset],
    );
    return rows;
  }

  /** The ids of every failed job now. */
  async failedJobIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${this.table} WHERE name = $1 AND state = 'failed' ORDER BY completed_on`,
      [this.name],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Sends a failed job back with a fresh retry budget; false if it is not failed (any more).
   * pg-boss's own retry() grants one more attempt only, so the job is deleted and sent anew, with
   * its data and id, in one transaction: the row is locked first, so two replays of one job
   * cannot both send it, and a failure on the way leaves it failed.
   */
  async replay(id: string): Promise<boolean> {
    const replayed = await this.inTransaction(async (client, db) => {
      const { rows } = await client.query<{ data: VisiwiseJobData }>(
        `SELECT data FROM ${this.table} WHERE name = $1 AND id = $2 AND state = 'failed' FOR UPDATE`,
        [this.name, id],
      );
      const [failed] = rows;
      if (failed === undefined) {
        return false;
      }
      await this.boss.deleteJob(this.name, id, { db });
      await this.send(failed.data, id, db);
      return true;
    });
    if (replayed) {
      this.sent();
    }
    return replayed;
  }

  /**
   * Stores a job that is failed from the start (a delivery kept as unparseable), in one
   * transaction, so that no worker ever takes it before it is failed; resolves whether it created
   * it (false: Svix's retry of a delivery kept already).
   */
  keepFailed(data: VisiwiseJobData, id: string, message: string): Promise<boolean> {
    return this.inTransaction(async (_client, db) => {
      const created = await this.send(data, id, db);
      if (created) {
        await this.boss.fail(this.name, id, { message }, { db });
      }
      return created;
    });
  }

  /** Runs `work` in a transaction on one connection (committed unless it throws). */
  private async inTransaction<T>(
    work: (client: PoolClient, db: PgBoss.Db) => Promise<T>,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client, onClient(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is dropped rather than pooled.
      client.release(broken);
    }
  }

  /**
   * Retries with exponential backoff (pg-boss: `retryDelay * 2^n` seconds plus up to as much again
   * at random), `attempts` runs in all; an unparseable delivery gets one run (it fails at once).
   */
  private sendOptions(data: VisiwiseJobData): PgBoss.SendOptions {
    return {
      retryLimit: isUnparseableDelivery(data) ? 0 : this.config.attempts - 1,
      retryDelay: this.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.expireInSeconds,
    };
  }

  private sent(): void {
    for (const listener of this.sentListeners) {
      listener();
    }
  }
}
