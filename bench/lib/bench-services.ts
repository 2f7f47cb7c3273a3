import Redis from 'ioredis';
import { Pool } from 'pg';
import { DATABASE_URL, PG_SCHEMA_PREFIX, REDIS_KEY_PREFIX, REDIS_URL } from '../bench.scenarios';

/** Why the PostgreSQL scenarios cannot run here, or undefined when it answers at DATABASE_URL. */
export async function postgresMissing(): Promise<string | undefined> {
  const pool = new Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
    return undefined;
  } catch {
    // Host and port only: the URL may carry a password.
    const { hostname, port } = new URL(DATABASE_URL);
    return `no PostgreSQL at ${hostname}:${port || '5432'} (set DATABASE_URL)`;
  } finally {
    await pool.end();
  }
}

/** Drops the schemas the PostgreSQL scenarios created (the bench's own prefix only). */
export async function cleanUpPostgres(): Promise<number> {
  const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`,
      [`${PG_SCHEMA_PREFIX}%`],
    );
    for (const { name } of rows) {
      await pool.query(`DROP SCHEMA "${name}" CASCADE`);
    }
    return rows.length;
  } finally {
    await pool.end();
  }
}

/** Why the Redis scenarios cannot run here, or undefined when Redis answers at REDIS_URL. */
export async function redisMissing(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch {
    // Host and port only: the URL may carry a password.
    const { hostname, port } = new URL(REDIS_URL);
    return `no Redis at ${hostname}:${port || '6379'} (set REDIS_URL)`;
  } finally {
    redis.disconnect();
  }
}

/**
 * Deletes the keys the Redis scenarios left (the bench's own prefix only, nothing else): completed
 * jobs and handled ids outlive the run. Returns how many keys were deleted.
 */
export async function cleanUpRedis(): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        deleted += await redis.unlink(...keys);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
