import type { Pool } from 'pg';
import { VisiwiseConfigurationError, migrateVisiwiseInbox } from 'nestjs-visiwise-webhook';
import {
  foreignMigrationsTableMessage,
  foreignTableMessage,
  invalidIdentifierMessage,
} from '../libs/visiwise-webhook/src/postgres/postgres.messages';
import {
  DATABASE_URL,
  describeWithPostgres,
  testPool,
  uniqueSchema,
  useTestSchema,
} from './support/postgres';

/** Tables of a schema, by name. */
async function tablesOf(pool: Pool, schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1`,
    [schema],
  );
  return rows.map((row) => row.name);
}

describe('migrateVisiwiseInbox: options', () => {
  it('refuses invalid identifiers before connecting, naming the option', async () => {
    // Nothing listens on port 1: a connection attempt would fail differently.
    const unreachable = 'postgres://postgres@127.0.0.1:1/test';
    await expect(migrateVisiwiseInbox(unreachable, { schema: 'Bad-Name' })).rejects.toThrow(
      new VisiwiseConfigurationError(invalidIdentifierMessage('schema', 'Bad-Name', 63)),
    );
    await expect(
      migrateVisiwiseInbox(unreachable, { tablePrefix: 'x"; DROP TABLE users; --' }),
    ).rejects.toThrow(VisiwiseConfigurationError);
  });
});

describeWithPostgres('migrateVisiwiseInbox (real PostgreSQL)', () => {
  const db = useTestSchema('migrate');
  const freshSchema = (): string => db.another('mig');

  it('creates a missing schema and the tables of migration 1, and records it', async () => {
    const schema = freshSchema();
    expect(await migrateVisiwiseInbox(db.pool, { schema })).toEqual([1]);
    expect(await tablesOf(db.pool, schema)).toEqual([
      'visiwise_attempts',
      'visiwise_claims',
      'visiwise_deliveries',
      'visiwise_migrations',
    ]);
    const { rows } = await db.pool.query(
      `SELECT version, name, applied_at FROM "${schema}".visiwise_migrations`,
    );
    expect(rows).toEqual([
      { version: 1, name: expect.any(String) as string, applied_at: expect.any(Date) as Date },
    ]);
  });

  it('does nothing when run again', async () => {
    expect(await migrateVisiwiseInbox(db.pool, { schema: db.name })).toEqual([1]);
    expect(await migrateVisiwiseInbox(db.pool, { schema: db.name })).toEqual([]);
    expect(await migrateVisiwiseInbox(DATABASE_URL, { schema: db.name })).toEqual([]);
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM "${db.name}".visiwise_migrations`,
    );
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('applies each version once when several processes migrate at the same time', async () => {
    const schema = freshSchema();
    const pools = [testPool(), testPool()];
    try {
      const results = await Promise.all([
        ...pools.map((pool) => migrateVisiwiseInbox(pool, { schema })),
        ...pools.map((pool) => migrateVisiwiseInbox(pool, { schema })),
        migrateVisiwiseInbox(DATABASE_URL, { schema }),
      ]);
      expect(results.flat()).toEqual([1]);
      const { rows } = await db.pool.query(`SELECT version FROM "${schema}".visiwise_migrations`);
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('uses a custom schema and table prefix, and the defaults stay free', async () => {
    const schema = freshSchema();
    expect(await migrateVisiwiseInbox(db.pool, { schema, tablePrefix: 'acme_inbox_' })).toEqual([
      1,
    ]);
    expect(await migrateVisiwiseInbox(db.pool, { schema })).toEqual([1]);
    expect(await tablesOf(db.pool, schema)).toEqual([
      'acme_inbox_attempts',
      'acme_inbox_claims',
      'acme_inbox_deliveries',
      'acme_inbox_migrations',
      'visiwise_attempts',
      'visiwise_claims',
      'visiwise_deliveries',
      'visiwise_migrations',
    ]);
  });

  it('never touches a table of the same name that it did not create', async () => {
    const schema = freshSchema();
    await db.pool.query(`CREATE SCHEMA "${schema}"`);
    await db.pool.query(`CREATE TABLE "${schema}".visiwise_claims (customer text)`);
    await db.pool.query(`INSERT INTO "${schema}".visiwise_claims VALUES ('keep me')`);

    await expect(migrateVisiwiseInbox(db.pool, { schema })).rejects.toThrow(
      new VisiwiseConfigurationError(
        foreignTableMessage(`"${schema}"."visiwise_claims"`, `"${schema}"."visiwise_migrations"`),
      ),
    );
    expect(foreignTableMessage('t', 'm')).toContain('`tablePrefix`');
    // Rolled back whole: the foreign table as it was, nothing of ours left behind.
    expect(await tablesOf(db.pool, schema)).toEqual(['visiwise_claims']);
    const { rows } = await db.pool.query(`SELECT * FROM "${schema}".visiwise_claims`);
    expect(rows).toEqual([{ customer: 'keep me' }]);

    // Another prefix is the way out.
    expect(await migrateVisiwiseInbox(db.pool, { schema, tablePrefix: 'vw_' })).toEqual([1]);
  });

  it('refuses a foreign table named like its migrations table', async () => {
    const schema = freshSchema();
    await db.pool.query(`CREATE SCHEMA "${schema}"`);
    await db.pool.query(`CREATE TABLE "${schema}".visiwise_migrations (id serial, filename text)`);
    await expect(migrateVisiwiseInbox(db.pool, { schema })).rejects.toThrow(
      new VisiwiseConfigurationError(
        foreignMigrationsTableMessage(`"${schema}"."visiwise_migrations"`),
      ),
    );
    expect(await tablesOf(db.pool, schema)).toEqual(['visiwise_migrations']);
  });

  it('needs no DDL privilege once up to date', async () => {
    const schema = freshSchema();
    await migrateVisiwiseInbox(db.pool, { schema });
    const role = uniqueSchema('app_role');
    await db.pool.query(`CREATE ROLE ${role} LOGIN`);
    await db.pool.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await db.pool.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    const url = new URL(DATABASE_URL);
    url.username = role;
    url.password = '';
    try {
      expect(await migrateVisiwiseInbox(url.toString(), { schema })).toEqual([]);
    } finally {
      await db.pool.query(`DROP OWNED BY ${role}`);
      await db.pool.query(`DROP ROLE ${role}`);
    }
  });
});
