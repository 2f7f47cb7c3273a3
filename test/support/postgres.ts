import { Pool } from 'pg';
import { uniqueName } from './redis';

/** Where the PostgreSQL-backed tests connect (CI starts PostgreSQL at this address). */
export const DATABASE_URL =
  process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Set by global-setup.js: whether PostgreSQL answered before the run. */
export const POSTGRES_AVAILABLE = process.env['VISIWISE_TEST_POSTGRES'] === '1';

/**
 * `describe` for suites that need PostgreSQL: runs them when it is up; otherwise skips them, and
 * global-setup.js has already printed a loud banner (and failed the run in CI).
 */
export const describeWithPostgres: jest.Describe = POSTGRES_AVAILABLE ? describe : describe.skip;

/** A pool on the test database; its `error` listener keeps a dropped idle connection harmless. */
export function testPool(url = DATABASE_URL, max = 10): Pool {
  const pool = new Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

/** A schema name no other suite (or run) uses: lower case, a valid `schema` option. */
export function uniqueSchema(label: string): string {
  return uniqueName(label).replace(/-/g, '_');
}

/** The schema and pool of one suite, filled in by its `beforeAll`. */
export interface TestSchema {
  /** The suite's own schema (exists from `beforeAll` until `afterAll`). */
  readonly name: string;
  /** A pool on the test database, ended in `afterAll`. */
  readonly pool: Pool;
  /** Another unique schema name, not created (say, to see migrate create it), dropped in `afterAll`. */
  another(label: string): string;
}

/**
 * Gives the calling suite a schema of its own: created in `beforeAll`, dropped with everything in
 * it in `afterAll`, so suites never see each other's rows and leave nothing behind.
 */
export function useTestSchema(label: string): TestSchema {
  const name = uniqueSchema(label);
  const others: string[] = [];
  let pool: Pool | undefined;
  beforeAll(async () => {
    pool = testPool();
    await pool.query(`CREATE SCHEMA "${name}"`);
  });
  afterAll(async () => {
    if (pool) {
      for (const schema of [name, ...others]) {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
      await pool.end();
    }
  });
  return {
    name,
    get pool(): Pool {
      if (!pool) throw new Error('useTestSchema: the pool exists from beforeAll on');
      return pool;
    },
    another(otherLabel) {
      const other = uniqueSchema(otherLabel);
      others.push(other);
      return other;
    },
  };
}
