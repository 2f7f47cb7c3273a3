import type { InboxTable, InboxTables } from './postgres-tables';

/**
 * One versioned change of the inbox tables. Its SQL runs in a transaction with the row that
 * records it. Released migrations are never edited: a change is a new version.
 */
export interface InboxMigration {
  /** Position in the sequence: 1, 2, 3... */
  readonly version: number;
  /** What it does, recorded beside the version. */
  readonly name: string;
  /**
   * The tables it creates. Checked before it runs: one that exists already belongs to something
   * else (its creation is not recorded), and is never altered.
   */
  readonly creates: readonly InboxTable[];
  /** The SQL, for the validated and quoted table names. */
  readonly sql: (tables: InboxTables) => string;
}

/*
 * SQL kept as TypeScript (not .sql files) so that the compiled package ships it with no build
 * step of its own and the schema and prefix are substituted as quoted identifiers.
 */
export const INBOX_MIGRATIONS: readonly InboxMigration[] = [
  {
    version: 1,
    name: 'delivery log, attempts and idempotency claims',
    creates: ['deliveries', 'attempts', 'claims'],
    sql: (t) => `
      CREATE TABLE ${t.deliveries} (
        -- Keyset paging tie-breaker: received_at alone is not unique.
        seq bigserial NOT NULL,
        endpoint text NOT NULL,
        tenant text NOT NULL DEFAULT '',
        delivery_id text NOT NULL,
        -- NULL when the body could not be read as an event.
        event_type text,
        svix_timestamp timestamptz,
        received_at timestamptz NOT NULL DEFAULT now(),
        raw_body bytea NOT NULL,
        -- The id and timestamp headers; never the signature (see PostgresDeliveryLog).
        headers jsonb NOT NULL DEFAULT '{}',
        issues jsonb NOT NULL DEFAULT '[]',
        -- Container, bill-of-lading and booking numbers, upper-case, for search.
        tracking_refs text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'received'
          CHECK (status IN ('received', 'handled', 'failed', 'dead', 'unparseable')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        handled_at timestamptz,
        PRIMARY KEY (endpoint, tenant, delivery_id)
      );
      -- The page's default order, and retention (prune scans received_at < cutoff on it).
      CREATE INDEX ${t.local('deliveries_received_idx')}
        ON ${t.deliveries} (received_at DESC, seq DESC);
      CREATE INDEX ${t.local('deliveries_status_idx')}
        ON ${t.deliveries} (status, received_at DESC, seq DESC);
      CREATE INDEX ${t.local('deliveries_type_idx')}
        ON ${t.deliveries} (event_type, received_at DESC, seq DESC);
      -- Search by delivery id across endpoints (the primary key leads with the endpoint).
      CREATE INDEX ${t.local('deliveries_delivery_id_idx')} ON ${t.deliveries} (delivery_id);
      CREATE INDEX ${t.local('deliveries_tracking_refs_idx')}
        ON ${t.deliveries} USING gin (tracking_refs);

      CREATE TABLE ${t.attempts} (
        endpoint text NOT NULL,
        tenant text NOT NULL,
        delivery_id text NOT NULL,
        attempt integer NOT NULL CHECK (attempt >= 1),
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now(),
        outcome text NOT NULL CHECK (outcome IN ('handled', 'failed')),
        error text,
        PRIMARY KEY (endpoint, tenant, delivery_id, attempt),
        -- Pruning a delivery takes its attempts with it.
        FOREIGN KEY (endpoint, tenant, delivery_id)
          REFERENCES ${t.deliveries} (endpoint, tenant, delivery_id) ON DELETE CASCADE
      );

      CREATE TABLE ${t.claims} (
        namespace text NOT NULL,
        id text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
        -- Identifies an in-progress claim, so that a release never drops somebody else's.
        token text,
        -- End of the lease (in_progress) or of the memory of the completion (completed).
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (namespace, id)
      );
      CREATE INDEX ${t.local('claims_expires_idx')} ON ${t.claims} (expires_at);
    `,
  },
];
