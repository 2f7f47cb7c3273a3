import Redis from 'ioredis';
import { REDIS_KEY_PREFIX, REDIS_URL } from '../bench.scenarios';

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
