import type { Pool, PoolConfig } from 'pg';
import { requireOptional } from '../delivery/optional-packages';

/*
 * pg is an optional peer dependency: only the PostgreSQL features load it, when they are used.
 * Nothing the package's index imports requires it at load time (type imports are erased).
 */

/** Loads pg, or throws a configuration error naming `feature` and `npm install pg`. */
export function loadPg(feature: string): typeof import('pg') {
  return requireOptional('pg', 'pg', feature) as typeof import('pg');
}

/**
 * A pool for a connection string, for the functions that accept one instead of the application's
 * pool. It has an `error` listener: pg emits `error` on the pool when an idle connection dies
 * (server restart), and with no listener that would crash the process. The query that next uses
 * the pool gets the error instead.
 */
export function createPgPool(
  connectionString: string,
  feature: string,
  config: Omit<PoolConfig, 'connectionString'> = {},
): Pool {
  const pg = loadPg(feature);
  const pool = new pg.Pool({ ...config, connectionString });
  pool.on('error', () => undefined);
  return pool;
}

/** Where a connection string points, without credentials: `host:port/database`, safe to print. */
export function describePostgresUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return `${url.hostname}:${url.port || '5432'}${database === '' ? '' : `/${database}`}`;
  } catch {
    return 'the configured PostgreSQL URL (unparseable)';
  }
}

/**
 * The secrets a connection string carries (the URL's password, raw and decoded, and a
 * `?password=` parameter, which pg also reads), for masking them in any text that may quote one.
 */
export function postgresUrlSecrets(connectionString: string): string[] {
  const secrets: string[] = [];
  try {
    const url = new URL(connectionString);
    secrets.push(url.password, decodeURIComponent(url.password));
    secrets.push(...url.searchParams.getAll('password'));
  } catch {
    // Unparseable: pg cannot connect with it either; the caller prints no part of it.
  }
  return [...new Set(secrets.filter((secret) => secret !== ''))];
}

/** Replaces every occurrence of each secret, whatever its length, with `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  // Longest first, so that a secret containing another is redacted whole.
  return [...secrets]
    .sort((a, b) => b.length - a.length)
    .reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}
