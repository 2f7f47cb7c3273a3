import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

/** Where the Redis-backed tests connect (CI starts Redis at this address). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Set by global-setup.js: whether Redis answered before the run. */
export const REDIS_AVAILABLE = process.env['VISIWISE_TEST_REDIS'] === '1';

/**
 * `describe` for suites that need Redis: runs them when Redis is up; otherwise skips them, and
 * global-setup.js has already printed a loud banner (and failed the run in CI).
 */
export const describeWithRedis: jest.Describe = REDIS_AVAILABLE ? describe : describe.skip;

/** A name no other test (or run) uses, for queue names and key prefixes. */
export function uniqueName(label: string): string {
  return `vwtest-${label}-${randomBytes(4).toString('hex')}`;
}

/** A plain client for assertions and clean-up. */
export function testRedisClient(url = REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** Deletes every key with the given prefix. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) {
      await client.del(...keys);
    }
  } while (cursor !== '0');
}

/** Polls until `check` returns true, or fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
