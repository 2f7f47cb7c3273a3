/*
 * The Redis and PostgreSQL the queue and inbox scenarios need: whether they answer, and the
 * clean-up of what the run left there (the bench's own key prefix and schemas only).
 */
import Redis from 'ioredis';
import { Pool } from 'pg';
import { DATABASE_URL, PG_SCHEMA_PREFIX, REDIS_KEY_PREFIX, REDIS_URL } from '../bench.scenarios';

async function withPostgres<T>(use: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  try {
    return await use(pool);
  } finally {
    await pool.end();
  }
}

async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Why the scenarios that require `service` cannot run here, or undefined when it answers. */
export async function unavailable(service: 'redis' | 'postgres'): Promise<string | undefined> {
  const redis = service === 'redis';
  try {
    await (redis
      ? withRedis((client) => client.ping())
      : withPostgres((pool) => pool.query('SELECT 1')));
    return undefined;
  } catch {
    // Host and port only: the URL may carry a password.
    const { hostname, port } = new URL(redis ? REDIS_URL : DATABASE_URL);
    const [name, defaultPort, variable] = redis
      ? ['Redis', '6379', 'REDIS_URL']
      : ['PostgreSQL', '5432', 'DATABASE_URL'];
    return `no ${name} at ${hostname}:${port || defaultPort} (set ${variable})`;
  }
}

/** Deletes the keys the Redis scenarios left (completed jobs, handled ids); returns how many. */
export function cleanUpRedis(): Promise<number> {
  return withRedis(async (redis) => {
    let deleted = 0;
    const stream = redis.scanStream({ match: `${REDIS_KEY_PREFIX}*`, count: 1000 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
    return deleted;
  });
}

/** Drops the schemas the PostgreSQL scenarios created; returns how many. */
export function cleanUpPostgres(): Promise<number> {
  return withPostgres(async (pool) => {
    const { rows } = await pool.query<{ name: string }>(
      'SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1',
      [`${PG_SCHEMA_PREFIX}%`],
    );
    for (const { name } of rows) await pool.query(`DROP SCHEMA "${name}" CASCADE`);
    return rows.length;
  });
}
