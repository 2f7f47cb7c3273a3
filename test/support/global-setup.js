// Runs once before all tests: finds out whether Redis and PostgreSQL are reachable, so that the
// tests backed by them run (CI: they must) or are skipped loudly (a developer machine without them).
const Redis = require('ioredis');
const { Client } = require('pg');

/** A warning no one can miss in the test output. */
function banner(lines) {
  console.warn(
    ['', '!'.repeat(78), ...lines.map((line) => `!! ${line}`), '!'.repeat(78), ''].join('\n'),
  );
}

module.exports = async function globalSetup() {
  await probeRedis();
  await probePostgres();
};

async function probeRedis() {
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
    banner([
      `Redis is NOT reachable at ${url.replace(/\/\/[^@]*@/, '//***@')}.`,
      required
        ? 'Redis-backed tests are required here (CI or REQUIRE_REDIS=1): failing.'
        : 'Redis-backed tests (idempotency store, queue mode) are SKIPPED on this machine.',
      'Start one: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    ]);
    if (required) {
      throw new Error(`Redis is required for the test suite but not reachable at ${url}`);
    }
  }
}

async function probePostgres() {
  const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  client.on('error', () => undefined);
  let available = false;
  try {
    await client.connect();
    available = (await client.query('SELECT 1 AS one')).rows[0].one === 1;
  } catch {
    available = false;
  } finally {
    await client.end().catch(() => undefined);
  }
  process.env.VISIWISE_TEST_POSTGRES = available ? '1' : '0';
  if (!available) {
    const required = process.env.REQUIRE_DATABASE === '1' || process.env.CI === 'true';
    banner([
      `PostgreSQL is NOT reachable at ${url.replace(/\/\/[^@]*@/, '//***@')}.`,
      required
        ? 'PostgreSQL-backed tests are required here (CI or REQUIRE_DATABASE=1): failing.'
        : 'PostgreSQL-backed tests (inbox migrations, delivery log, store) are SKIPPED here.',
      'Start one: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
      'and point DATABASE_URL at a database it may create schemas in.',
    ]);
    if (required) {
      throw new Error('PostgreSQL is required for the test suite but not reachable');
    }
  }
}
