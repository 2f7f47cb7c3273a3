// Runs once before all tests: finds out whether Redis is reachable, so that Redis-backed tests run
// (CI: they must) or are skipped loudly (a developer machine without Redis).
const Redis = require('ioredis');

module.exports = async function globalSetup() {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1500,
  });
  client.on('error', () => undefined);
  let available = false;
  try {
    await client.connect();
    available = (await client.ping()) === 'PONG';
  } catch {
    available = false;
  } finally {
    client.disconnect();
  }
  process.env.VISIWISE_TEST_REDIS = available ? '1' : '0';
  if (!available) {
    const required = process.env.REQUIRE_REDIS === '1' || process.env.CI === 'true';
    const banner = [
      '',
      '!'.repeat(78),
      `!! Redis is NOT reachable at ${url.replace(/\/\/[^@]*@/, '//***@')}.`,
      required
        ? '!! Redis-backed tests are required here (CI or REQUIRE_REDIS=1): failing.'
        : '!! Redis-backed tests (idempotency store, queue mode) are SKIPPED on this machine.',
      '!! Start one: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
      '!'.repeat(78),
      '',
    ].join('\n');
    console.warn(banner);
    if (required) {
      throw new Error(`Redis is required for the test suite but not reachable at ${url}`);
    }
  }
};
