import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { INBOX_MIGRATIONS, type InboxMigration } from './inbox-migrations';
import {
  databaseUnreachableMessage,
  foreignMigrationsTableMessage,
  foreignTableMessage,
  migrationFailedMessage,
  schemaBehindMessage,
} from './postgres.messages';
import {
  createPgPool,
  describePostgresUrl,
  postgresUrlSecrets,
  redactSecrets,
} from './postgres-packages';
import { InboxTables, type VisiwisePostgresTableOptions } from './postgres-tables';

/**
 * Applies the pending migrations of the Visiwise inbox tables (delivery log, attempts,
 * idempotency claims) and returns the versions it applied, oldest first; `[]` when the tables are
 * up to date. Run it at deployment (or `visiwise-webhook inbox migrate`) or at application start.
 *
 * - Safe to run from several processes at once: each migration runs in its own transaction under
 *   a PostgreSQL advisory lock (per schema and prefix), so every version is applied exactly once.
 * - Creates the schema when it is missing, and otherwise only the tables it records creating: a
 *   table with one of its names that it did not create fails the run with an error naming the
 *   table and the `tablePrefix` option, and is left untouched. It never alters or drops anything
 *   it did not create.
 * - Up to date, it only reads the catalog and its migrations table: the database role of the
 *   running application needs no DDL privilege for that.
 *
 * @param database a pg `Pool` (one connection is borrowed and returned), or a connection string
 *   (a pool of one connection is opened and closed; needs the optional peer `pg`).
 * @throws VisiwiseConfigurationError for an invalid `schema` / `tablePrefix` (before connecting)
 *   or a colliding table.
 */
export async function migrateVisiwiseInbox(
  database: Pool | string,
  options: VisiwisePostgresTableOptions = {},
): Promise<number[]> {
  const tables = new InboxTables(options);
  const pool =
    typeof database === 'string'
      ? createPgPool(database, 'migrateVisiwiseInbox', { max: 1 })
      : database;
  try {
    const client = await pool.connect();
    try {
      const applied: number[] = [];
      for (const migration of INBOX_MIGRATIONS) {
        if (await applyInTransaction(client, tables, migration)) {
          applied.push(migration.version);
        }
      }
      return applied;
    } finally {
      client.release();
    }
  } finally {
    if (typeof database === 'string') {
      await pool.end();
    }
  }
}

/** Applies one migration unless it is recorded; true when this call applied it. */
async function applyInTransaction(
  client: PoolClient,
  tables: InboxTables,
  migration: InboxMigration,
): Promise<boolean> {
  await client.query('BEGIN');
  try {
    // Released at COMMIT or ROLLBACK. Whoever waited here sees the winner's migration as applied.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(tables)]);
    const applied = await appliedVersions(client, tables);
    if (applied.has(migration.version)) {
      await client.query('COMMIT');
      return false;
    }
    await assertNotTaken(client, tables, migration);
    try {
      await client.query(migration.sql(tables));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(migrationFailedMessage(migration.version, migration.name, reason), {
        cause: error,
      });
    }
    await client.query(`INSERT INTO ${tables.migrations} (version, name) VALUES ($1, $2)`, [
      migration.version,
      migration.name,
    ]);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A 64-bit advisory lock key of its own per schema and prefix. */
function lockKey(tables: InboxTables): string {
  return createHash('sha256')
    .update(`nestjs-visiwise-webhook:migrate:${tables.schema}.${tables.tablePrefix}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/**
 * The versions recorded in the migrations table, creating the schema and that table when they are
 * missing (checked first: `IF NOT EXISTS` alone still demands the CREATE privilege).
 */
async function appliedVersions(client: PoolClient, tables: InboxTables): Promise<Set<number>> {
  const { rows } = await client.query<{ schema_exists: boolean; columns: string[] | null }>(
    `SELECT to_regnamespace($1) IS NOT NULL AS schema_exists,
            (SELECT array_agg(attname::text) FROM pg_attribute
              WHERE attrelid = to_regclass($2) AND attnum > 0 AND NOT attisdropped) AS columns`,
    [tables.quotedSchema, tables.migrations],
  );
  const [state] = rows;
  if (state?.schema_exists !== true) {
    await client.query(`CREATE SCHEMA ${tables.quotedSchema}`);
  }
  const columns = state?.columns ?? null;
  if (columns === null) {
    await client.query(
      `CREATE TABLE ${tables.migrations} (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    return new Set();
  }
  if (!['version', 'name', 'applied_at'].every((column) => columns.includes(column))) {
    throw new VisiwiseConfigurationError(foreignMigrationsTableMessage(tables.migrations));
  }
  const versions = await client.query<{ version: number }>(
    `SELECT version FROM ${tables.migrations}`,
  );
  return new Set(versions.rows.map((row) => row.version));
}

/** Fails, naming the table, when a table the migration creates exists already. */
async function assertNotTaken(
  client: PoolClient,
  tables: InboxTables,
  migration: InboxMigration,
): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) ORDER BY c.relname LIMIT 1`,
    [tables.schema, migration.creates.map((table) => tables.name(table))],
  );
  const [taken] = rows;
  if (taken !== undefined) {
    throw new VisiwiseConfigurationError(
      foreignTableMessage(`${tables.quotedSchema}."${taken.name}"`, tables.migrations),
    );
  }
}

/**
 * Fails the start with a message naming the fix when the database does not answer, or its inbox
 * tables are missing or behind this package's migrations (they are applied by `inbox migrate` at
 * deployment, or `database.migrate: true` at start): otherwise every delivery would fail with 503.
 */
export async function checkSchema(
  pool: Pool,
  options: VisiwisePostgresTableOptions,
  url: string | undefined,
): Promise<void> {
  const tables = new InboxTables(options);
  const latest = INBOX_MIGRATIONS[INBOX_MIGRATIONS.length - 1]?.version ?? 0;
  let applied: number;
  try {
    const result = await pool.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${tables.migrations}`,
    );
    applied = result.rows[0]?.version ?? 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '42P01' || code === '3F000') {
      // undefined_table, invalid_schema_name: never migrated.
      throw new VisiwiseConfigurationError(schemaBehindMessage(tables.migrations, 0, latest));
    }
    const where = url === undefined ? 'the `database` pool' : describePostgresUrl(url);
    const reason = redactSecrets(
      error instanceof Error ? error.message : String(error),
      url === undefined ? [] : postgresUrlSecrets(url),
    );
    throw new VisiwiseConfigurationError(databaseUnreachableMessage(where, reason));
  }
  if (applied < latest) {
    throw new VisiwiseConfigurationError(schemaBehindMessage(tables.migrations, applied, latest));
  }
}
