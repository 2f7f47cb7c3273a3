import Redis from 'ioredis';
import { connect } from 'node:net';
import type { BenchService } from '../bench.scenarios';
import { REDIS_KEY_PREFIX, REDIS_URL } from '../bench.scenarios';

/** Whether a Redis server answers PING at the URL (no client library needed for that). */
function redisAnswers(url: string, timeoutMillis = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMillis, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      // A password-protected Redis answers -NOAUTH: it is there, the scenario's URL carries the auth.
      done(
        data.toString('latin1').startsWith('+PONG') || data.toString('latin1').includes('NOAUTH'),
      );
    });
  });
}

// One check per service; keyed by every BenchService, so a new service without a check fails to compile.
const CHECKS: { readonly [S in BenchService]: () => Promise<string | undefined> } = {
  redis: async () => {
    if (await redisAnswers(REDIS_URL)) {
      return undefined;
    }
    // Host and port only: the URL may carry a password.
    const { protocol, hostname, port } = new URL(REDIS_URL);
    return `no Redis answering at ${protocol}//${hostname}:${port || '6379'} (set REDIS_URL)`;
  },
};

/** Why a scenario cannot run here, or undefined when every service it needs is reachable. */
export async function missingService(
  requires: readonly BenchService[] | undefined,
): Promise<string | undefined> {
  for (const service of requires ?? []) {
    const missing = await CHECKS[service]();
    if (missing !== undefined) {
      return missing;
    }
  }
  return undefined;
}

/**
 * Deletes what the Redis scenarios left (every key under the bench's own prefix, nothing else):
 * the queue's last completed jobs stay until later jobs complete, which for a bench is never.
 * Returns how many keys were deleted.
 */
export async function cleanUpRedis(): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
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
