import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type PgBoss from 'pg-boss';
import type { ResolvedDeliveryConfig } from './delivery-config';
import { pgBossMaintenanceFailedLogMessage } from './delivery.messages';

/**
 * Failed jobs are the dead letters: kept until replayed. pg-boss archives them after a time of its
 * configuration (12 h by default); this one (100 years) means never in practice.
 */
const KEEP_FAILED_SECONDS = 100 * 365 * 24 * 3600;

/** The settings of the module's one PgBoss instance, shared by its pg-boss endpoints. */
export interface PgBossSettings {
  /** Schema of pg-boss's tables. */
  readonly schema: string;
  /** How often its maintenance runs (expires jobs whose worker stopped, archives completed ones). */
  readonly maintenanceIntervalSeconds: number;
  /** How long completed jobs stay in the job table, where they collapse duplicate deliveries. */
  readonly archiveCompletedAfterSeconds: number;
}

/**
 * One PgBoss serves every endpoint of the module, so its instance-wide settings come from all of
 * theirs: the shortest `queue.stalledIntervalMs` (maintenance) and the longest
 * `queue.keepCompletedSeconds` (no endpoint keeps completed jobs for less than it asked).
 */
export function pgBossSettings(
  schema: string,
  queues: readonly ResolvedDeliveryConfig['queue'][],
): PgBossSettings {
  const stalledMs = Math.min(...queues.map((queue) => queue.stalledIntervalMs));
  const keepMs = Math.max(...queues.map((queue) => queue.keepCompletedMs));
  return {
    schema,
    maintenanceIntervalSeconds: Math.max(1, Math.ceil(stalledMs / 1000)),
    archiveCompletedAfterSeconds: Math.max(1, Math.ceil(keepMs / 1000)),
  };
}

/**
 * Creates the module's PgBoss on the application's pool and starts it: pg-boss creates or migrates
 * its schema, and runs its maintenance on a timer. It runs no workers of its own (see
 * PgBossDeliveryStrategy) and no cron scheduling (`schedule: false`: that would add a queue, a
 * worker polling it and a clock-skew check, for nothing this package uses).
 *
 * The pool is given through pg-boss's `db` option rather than a connection string: with
 * `database: { pool }` there is no connection string, and one pool means one set of credentials,
 * TLS settings and connection limits for everything the module stores. pg-boss never ends a pool
 * it did not create; the runtime ends its own after stopping pg-boss.
 */
export async function startPgBoss(
  PgBossClass: typeof PgBoss,
  pool: Pool,
  settings: PgBossSettings,
  logger: Logger,
): Promise<PgBoss> {
  const boss = new PgBossClass({
    db: { executeSql: (text, values) => pool.query(text, values) },
    schema: settings.schema,
    migrate: true,
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: settings.maintenanceIntervalSeconds,
    archiveCompletedAfterSeconds: settings.archiveCompletedAfterSeconds,
    archiveFailedAfterSeconds: KEEP_FAILED_SECONDS,
  });
  // Unlistened, an EventEmitter 'error' would crash the process. Maintenance fails on every run
  // while the database is down: one line until a run succeeds again.
  let failing = false;
  boss.on('error', (error) => {
    if (!failing) {
      failing = true;
      logger.error(pgBossMaintenanceFailedLogMessage(error.message));
    }
  });
  boss.on('maintenance', () => {
    failing = false;
  });
  await boss.start();
  return boss;
}

/**
 * Stops pg-boss's timers. It has no workers of its own to wait for, so nothing here reaches the
 * database (a maintenance run under way is not waited for: the pool's end bounds it).
 */
export function stopPgBoss(boss: PgBoss): Promise<void> {
  return boss.stop({ graceful: false, close: false, wait: true });
}
