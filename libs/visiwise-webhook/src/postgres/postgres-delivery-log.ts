import { prepared } from './postgres-values';
import { StatementBatcher } from './statement-batcher';
import type { Pool } from 'pg';
import type {
  VisiwiseDeliveryAttempt,
  VisiwiseDeliveryAttemptInput,
  VisiwiseDeliveryKey,
  VisiwiseDeliveryLogEntry,
  VisiwiseDeliveryLogFilter,
  VisiwiseDeliveryLogPage,
  VisiwiseDeliveryLogPageOptions,
  VisiwiseDeliveryLogPruneOptions,
  VisiwiseDeliveryLogStatus,
  VisiwiseDeliveryLogSummary,
  VisiwiseLoggedDelivery,
  VisiwiseLoggedDeliveryDetail,
} from './delivery-log.interface';
import { invalidCursorMessage, invalidDateMessage } from './postgres.messages';
import { InboxTables, type VisiwisePostgresTableOptions } from './postgres-tables';
import { errorText, jsonb, pgText, positiveCount } from './postgres-values';

/*
 * Headers worth keeping with a delivery. The signature is deliberately not among them: the row is
 * written only after the signature was verified, so it adds nothing to the record, while a
 * signature next to its body in a table that a page shows and backups copy for weeks is material
 * to replay that exact request (within the timestamp tolerance, or against a receiver that forgot
 * the id). Nothing needs it later: a replay runs the handlers, not the HTTP endpoint.
 */
const KEPT_HEADERS = [
  'svix-id',
  'svix-timestamp',
  'webhook-id',
  'webhook-timestamp',
  'content-type',
  'user-agent',
] as const;

const STATUSES: readonly VisiwiseDeliveryLogStatus[] = [
  'received',
  'handled',
  'failed',
  'dead',
  'unparseable',
];

const MAX_PAGE_SIZE = 500;

// Every column but the body, plus an exact cursor: received_at in microseconds, which a JS Date
// (milliseconds) would round, so that two rows in one millisecond never share or skip a page edge.
const LISTED_COLUMNS = `endpoint, tenant, delivery_id, event_type, svix_timestamp, received_at,
  headers, issues, tracking_refs, status, attempts, last_error, handled_at,
  octet_length(raw_body) AS body_bytes,
  to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || ',' || seq AS cursor`;

interface DeliveryRow {
  endpoint: string;
  tenant: string;
  delivery_id: string;
  event_type: string | null;
  svix_timestamp: Date | null;
  received_at: Date;
  headers: Record<string, string>;
  issues: string[];
  tracking_refs: string[];
  status: VisiwiseDeliveryLogStatus;
  attempts: number;
  last_error: string | null;
  handled_at: Date | null;
  body_bytes: number;
  cursor: string;
}

interface AttemptRow {
  attempt: number;
  started_at: Date;
  finished_at: Date;
  outcome: 'handled' | 'failed';
  error: string | null;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z),(\d{1,18})$/;

function toDelivery(row: DeliveryRow): VisiwiseLoggedDelivery {
  return {
    endpoint: row.endpoint,
    tenant: row.tenant,
    deliveryId: row.delivery_id,
    eventType: row.event_type,
    svixTimestamp: row.svix_timestamp,
    receivedAt: row.received_at,
    headers: row.headers,
    issues: row.issues,
    trackingRefs: row.tracking_refs,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    handledAt: row.handled_at,
    bodyBytes: row.body_bytes,
  };
}

function keptHeaders(
  headers: Readonly<Record<string, string | undefined>> | undefined,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (value !== undefined && (KEPT_HEADERS as readonly string[]).includes(lower)) {
      kept[lower] = value;
    }
  }
  return kept;
}

/** Trimmed, upper-case, non-empty and distinct: how references are stored and searched. */
function trackingRefs(refs: readonly string[] | undefined): string[] {
  return [...new Set((refs ?? []).map((ref) => pgText(ref.trim().toUpperCase())))].filter(
    (ref) => ref !== '',
  );
}

function keyValues(key: VisiwiseDeliveryKey): [string, string, string] {
  return [key.endpoint, key.tenant ?? '', key.deliveryId];
}

/** Options of {@link PostgresDeliveryLog}. */
export interface PostgresDeliveryLogOptions extends VisiwisePostgresTableOptions {
  /**
   * How long a delivery's record or outcome statement may take before it fails, so that a hung
   * connection cannot hold the deliveries written after it. @default none (the pool's own timeouts)
   */
  statementTimeoutMs?: number;
}

/** A finished attempt waiting to be written (see PostgresDeliveryLog.finishAttempt). */
interface FinishedAttempt {
  readonly key: VisiwiseDeliveryKey;
  readonly status: 'handled' | 'failed' | 'dead';
  readonly error: string | null;
  readonly startedAt: Date;
  readonly eventType: string | null;
}

interface KeyRow {
  endpoint: string;
  tenant: string;
  delivery_id: string;
}

// Endpoint and tenant names hold no NUL (PostgreSQL text cannot), so it separates them safely.
const entryKey = (key: VisiwiseDeliveryKey): string =>
  `${key.endpoint}\0${key.tenant ?? ''}\0${key.deliveryId}`;
const rowKey = (row: KeyRow): string => `${row.endpoint}\0${row.tenant}\0${row.delivery_id}`;

/** One array parameter per column, for a statement that unnests them into rows. */
function columnsOf<T>(items: readonly T[], row: (item: T) => readonly unknown[]): unknown[][] {
  const columns: unknown[][] = [];
  for (const item of items) {
    row(item).forEach((value, index) => {
      (columns[index] ??= []).push(value);
    });
  }
  return columns;
}

/** The WHERE conditions of a filter, with their parameters ($1...). */
function filterConditions(filter: VisiwiseDeliveryLogFilter): {
  conditions: string[];
  values: unknown[];
} {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const where = (condition: (parameter: string) => string, value: unknown): void => {
    values.push(value);
    conditions.push(condition(`$${String(values.length)}`));
  };
  if (filter.status !== undefined) where((p) => `status = ${p}`, filter.status);
  if (filter.type !== undefined) where((p) => `event_type = ${p}`, filter.type);
  if (filter.endpoint !== undefined) where((p) => `endpoint = ${p}`, filter.endpoint);
  if (filter.tenant !== undefined) where((p) => `tenant = ${p}`, filter.tenant);
  if (filter.receivedFrom !== undefined) {
    where((p) => `received_at >= ${p}`, filter.receivedFrom);
  }
  if (filter.receivedBefore !== undefined) {
    where((p) => `received_at < ${p}`, filter.receivedBefore);
  }
  const q = filter.q?.trim();
  if (q !== undefined && q !== '') {
    where((p) => `(delivery_id = ${p} OR tracking_refs @> ARRAY[upper(${p})::text])`, pgText(q));
  }
  return { conditions, values };
}

/**
 * The delivery log in PostgreSQL (the `<prefix>deliveries` and `<prefix>attempts` tables of
 * {@link migrateVisiwiseInbox}): every verified delivery with its raw body, status and attempts,
 * for the inbox page, search and replay. Data access only: it decides nothing about handling.
 *
 * Rows are keyed (endpoint, tenant, delivery id). Error text is stored truncated to 2,000
 * characters; signature headers are never stored.
 */
export class PostgresDeliveryLog {
  private readonly t: InboxTables;
  private readonly keyCondition = `endpoint = $1 AND tenant = $2 AND delivery_id = $3`;
  // The statements of every delivery: named (prepared once per connection), and each written for
  // many deliveries at once (see StatementBatcher).
  private readonly records: StatementBatcher<VisiwiseDeliveryLogEntry, boolean>;
  private readonly attemptsFinished: StatementBatcher<FinishedAttempt, number | undefined>;

  /**
   * @param pool the application's pg pool; the log never ends it.
   * @throws VisiwiseConfigurationError for an invalid schema or prefix.
   */
  constructor(
    private readonly pool: Pool,
    options: PostgresDeliveryLogOptions = {},
  ) {
    this.t = new InboxTables(options);
    const timeoutMs = options.statementTimeoutMs;
    const recordStatement = prepared(
      `INSERT INTO ${this.t.deliveries} (endpoint, tenant, delivery_id, event_type, svix_timestamp,
         received_at, raw_body, headers, issues, tracking_refs, status, last_error)
       SELECT i.endpoint, i.tenant, i.delivery_id, i.event_type, i.svix_timestamp,
              coalesce(i.received_at, now()), i.raw_body, i.headers, i.issues,
              ARRAY(SELECT jsonb_array_elements_text(i.tracking_refs)), i.status, i.last_error
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::timestamptz[], $7::bytea[], $8::jsonb[], $9::jsonb[], $10::jsonb[],
                     $11::text[], $12::text[])
           AS i(endpoint, tenant, delivery_id, event_type, svix_timestamp, received_at, raw_body,
                headers, issues, tracking_refs, status, last_error)
       ON CONFLICT (endpoint, tenant, delivery_id) DO NOTHING
       RETURNING endpoint, tenant, delivery_id`,
    );
    this.records = new StatementBatcher<VisiwiseDeliveryLogEntry, boolean>(
      async (entries) => {
        const columns = columnsOf(entries, (entry) => [
          entry.endpoint,
          entry.tenant ?? '',
          entry.deliveryId,
          entry.eventType === null ? null : pgText(entry.eventType),
          entry.svixTimestamp ?? null,
          entry.receivedAt ?? null,
          Buffer.from(entry.rawBody.buffer, entry.rawBody.byteOffset, entry.rawBody.byteLength),
          jsonb(keptHeaders(entry.headers)),
          jsonb(entry.issues ?? []),
          jsonb(trackingRefs(entry.trackingRefs)),
          entry.status ?? 'received',
          entry.error === undefined ? null : errorText(entry.error),
        ]);
        const { rows } = await this.pool.query<KeyRow>({ ...recordStatement, values: columns });
        const recorded = new Set(rows.map(rowKey));
        return entries.map((entry) => recorded.has(entryKey(entry)));
      },
      { key: entryKey, timeoutMs },
    );
    const finishStatement = prepared(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::timestamptz[], $7::text[])
           AS i(endpoint, tenant, delivery_id, status, error, started_at, event_type)
       ), delivery AS (
         UPDATE ${this.t.deliveries} d
            SET status = i.status,
                attempts = d.attempts + (CASE WHEN i.status = 'handled' THEN 0 ELSE 1 END),
                last_error = CASE WHEN i.status = 'handled' THEN d.last_error ELSE i.error END,
                handled_at = CASE WHEN i.status = 'handled' THEN now() ELSE d.handled_at END,
                event_type = coalesce(d.event_type, i.event_type)
           FROM input i
          WHERE d.endpoint = i.endpoint AND d.tenant = i.tenant AND d.delivery_id = i.delivery_id
         RETURNING d.endpoint, d.tenant, d.delivery_id, i.status, i.error, i.started_at
       )
       INSERT INTO ${this.t.attempts}
         (endpoint, tenant, delivery_id, attempt, started_at, finished_at, outcome, error)
       SELECT d.endpoint, d.tenant, d.delivery_id,
              coalesce((SELECT max(a.attempt) FROM ${this.t.attempts} a
                         WHERE a.endpoint = d.endpoint AND a.tenant = d.tenant
                           AND a.delivery_id = d.delivery_id), 0) + 1,
              d.started_at, now(), CASE WHEN d.status = 'handled' THEN 'handled' ELSE 'failed' END,
              d.error
         FROM delivery d
       RETURNING endpoint, tenant, delivery_id, attempt`,
    );
    this.attemptsFinished = new StatementBatcher(
      async (finished) => {
        const columns = columnsOf(finished, ({ key, status, error, startedAt, eventType }) => [
          key.endpoint,
          key.tenant ?? '',
          key.deliveryId,
          status,
          error,
          startedAt,
          eventType,
        ]);
        const { rows } = await this.pool.query<KeyRow & { attempt: number }>({
          ...finishStatement,
          values: columns,
        });
        const attempts = new Map(rows.map((row) => [rowKey(row), row.attempt]));
        return finished.map(({ key }) => attempts.get(entryKey(key)));
      },
      { key: ({ key }) => entryKey(key), timeoutMs },
    );
  }

  /**
   * Records a received delivery. Idempotent: a delivery already recorded (a Svix retry) is left
   * as it is. Returns whether this call recorded it. Concurrent calls share one statement.
   */
  record(entry: VisiwiseDeliveryLogEntry): Promise<boolean> {
    return this.records.submit(entry);
  }

  /** Marks a delivery handled (now). Returns whether it is in the log. */
  async markHandled(key: VisiwiseDeliveryKey): Promise<boolean> {
    return this.update(key, `status = 'handled', handled_at = now()`, []);
  }

  /**
   * Marks a delivery failed after attempt number `attempt` threw `error`. Returns whether it is in
   * the log.
   */
  async markFailed(key: VisiwiseDeliveryKey, error: unknown, attempt: number): Promise<boolean> {
    return this.update(
      key,
      `status = 'failed', attempts = greatest(attempts, $4::integer), last_error = $5`,
      [positiveCount(attempt, 1, 'attempt'), errorText(error)],
    );
  }

  /**
   * Marks a delivery dead (no attempt left), with the last error when given. Returns whether it is
   * in the log.
   */
  async markDead(key: VisiwiseDeliveryKey, error?: unknown): Promise<boolean> {
    return this.update(key, `status = 'dead', last_error = coalesce($4, last_error)`, [
      error === undefined ? null : errorText(error),
    ]);
  }

  /**
   * Records one handling attempt of a logged delivery (it must be recorded first). The same
   * attempt number again replaces the row: a job re-run under the same number is one attempt.
   */
  async recordAttempt(
    key: VisiwiseDeliveryKey,
    attempt: VisiwiseDeliveryAttemptInput,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t.attempts}
         (endpoint, tenant, delivery_id, attempt, started_at, finished_at, outcome, error)
       VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8)
       ON CONFLICT (endpoint, tenant, delivery_id, attempt) DO UPDATE
         SET started_at = excluded.started_at, finished_at = excluded.finished_at,
             outcome = excluded.outcome, error = excluded.error`,
      [
        ...keyValues(key),
        positiveCount(attempt.attempt, 1, 'attempt'),
        attempt.startedAt,
        attempt.finishedAt ?? null,
        attempt.outcome,
        attempt.error === undefined ? null : errorText(attempt.error),
      ],
    );
  }

  /**
   * Records the next handling attempt of a logged delivery and its status, in one statement: the
   * attempt is numbered after those recorded (so a replay continues the count), and the delivery
   * becomes `handled`, or `failed` (`dead` when `final`: no attempt follows) with the error.
   * Returns the attempt's number, or `undefined` when the delivery is not in the log.
   */
  finishAttempt(
    key: VisiwiseDeliveryKey,
    run: {
      readonly startedAt: Date;
      readonly outcome: 'handled' | 'failed';
      readonly error?: unknown;
      readonly final: boolean;
      /** The event type, for a delivery recorded unparseable that a replay read as an event. */
      readonly eventType?: string;
    },
  ): Promise<number | undefined> {
    return this.attemptsFinished.submit({
      key,
      status: run.outcome === 'handled' ? 'handled' : run.final ? 'dead' : 'failed',
      error: run.outcome === 'failed' && run.error !== undefined ? errorText(run.error) : null,
      startedAt: run.startedAt,
      eventType: run.eventType === undefined ? null : pgText(run.eventType),
    });
  }

  /** How many deliveries match `filter` (an index count for the status and endpoint filters). */
  async count(filter: VisiwiseDeliveryLogFilter = {}): Promise<number> {
    const { conditions, values } = filterConditions(filter);
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${this.t.deliveries}
        ${conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`}`,
      values,
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** One delivery with its raw body and attempts, or `undefined` when it is not in the log. */
  async get(key: VisiwiseDeliveryKey): Promise<VisiwiseLoggedDeliveryDetail | undefined> {
    const values = keyValues(key);
    const [delivery, attempts] = await Promise.all([
      this.pool.query<DeliveryRow & { raw_body: Buffer }>(
        `SELECT ${LISTED_COLUMNS}, raw_body FROM ${this.t.deliveries} WHERE ${this.keyCondition}`,
        values,
      ),
      this.pool.query<AttemptRow>(
        `SELECT attempt, started_at, finished_at, outcome, error FROM ${this.t.attempts}
          WHERE ${this.keyCondition} ORDER BY attempt`,
        values,
      ),
    ]);
    const [row] = delivery.rows;
    if (row === undefined) {
      return undefined;
    }
    const history: VisiwiseDeliveryAttempt[] = attempts.rows.map((attempt) => ({
      attempt: attempt.attempt,
      startedAt: attempt.started_at,
      finishedAt: attempt.finished_at,
      outcome: attempt.outcome,
      error: attempt.error,
    }));
    return { ...toDelivery(row), rawBody: row.raw_body, history };
  }

  /**
   * A page of deliveries, newest first, narrowed by `filter`. Keyset paging: the cursor is the
   * last row's (received_at, seq), so a page costs the same however deep it is, and rows recorded
   * meanwhile never shift or repeat the pages that follow.
   *
   * @throws RangeError for a cursor this method did not return.
   */
  async list(
    filter: VisiwiseDeliveryLogFilter = {},
    page: VisiwiseDeliveryLogPageOptions = {},
  ): Promise<VisiwiseDeliveryLogPage> {
    const limit = Math.min(positiveCount(page.limit, 50, 'limit'), MAX_PAGE_SIZE);
    const { conditions, values } = filterConditions(filter);
    if (page.cursor !== undefined) {
      const match = CURSOR.exec(page.cursor);
      if (!match) {
        throw new RangeError(invalidCursorMessage());
      }
      values.push(match[1], match[2]);
      conditions.push(
        `(received_at, seq) < ($${values.length - 1}::timestamptz, $${values.length}::bigint)`,
      );
    }
    values.push(limit + 1);
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${LISTED_COLUMNS} FROM ${this.t.deliveries}
        ${conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`}
        ORDER BY received_at DESC, seq DESC LIMIT $${values.length}`,
      values,
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return rows.length > limit && last !== undefined
      ? { items: items.map(toDelivery), nextCursor: last.cursor }
      : { items: items.map(toDelivery) };
  }

  /** How many deliveries the log holds, by status and by event type (one scan of the table). */
  async summary(): Promise<VisiwiseDeliveryLogSummary> {
    const { rows } = await this.pool.query<{
      by_type: boolean;
      status: VisiwiseDeliveryLogStatus | null;
      event_type: string | null;
      count: string;
    }>(
      `SELECT GROUPING(status) = 1 AS by_type, status, event_type, count(*) AS count
         FROM ${this.t.deliveries}
        GROUP BY GROUPING SETS ((status), (event_type))`,
    );
    const byStatus = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<
      VisiwiseDeliveryLogStatus,
      number
    >;
    const byType: { type: string | null; count: number }[] = [];
    for (const row of rows) {
      if (row.by_type) {
        byType.push({ type: row.event_type, count: Number(row.count) });
      } else if (row.status !== null) {
        byStatus[row.status] = Number(row.count);
      }
    }
    byType.sort((a, b) => b.count - a.count || String(a.type).localeCompare(String(b.type)));
    const total = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
    return { total, byStatus, byType };
  }

  /**
   * Deletes deliveries received before `olderThan`, with their attempts, in batches of
   * `batchSize` rows per statement; returns how many deliveries it deleted. Dead and unparseable
   * deliveries are kept whatever their age: they wait for a replay or an explicit decision.
   *
   * @throws RangeError for an invalid date or batch size.
   */
  async prune(options: VisiwiseDeliveryLogPruneOptions): Promise<number> {
    const batchSize = positiveCount(options.batchSize, 1000, 'batchSize');
    if (!(options.olderThan instanceof Date) || Number.isNaN(options.olderThan.getTime())) {
      throw new RangeError(invalidDateMessage('olderThan'));
    }
    const prunable = `received_at < $1 AND status NOT IN ('dead', 'unparseable')`;
    let deleted = 0;
    for (;;) {
      // Rows locked by a writer right now are skipped, never waited for; the outer condition is
      // checked again in case a row changed status between the two reads.
      const { rowCount } = await this.pool.query(
        `DELETE FROM ${this.t.deliveries}
          WHERE ctid IN (SELECT ctid FROM ${this.t.deliveries} WHERE ${prunable}
                          LIMIT $2 FOR UPDATE SKIP LOCKED)
            AND ${prunable}`,
        [options.olderThan, batchSize],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) {
        return deleted;
      }
    }
  }

  private async update(
    key: VisiwiseDeliveryKey,
    assignments: string,
    extra: readonly unknown[],
  ): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.t.deliveries} SET ${assignments} WHERE ${this.keyCondition}`,
      [...keyValues(key), ...extra],
    );
    return rowCount === 1;
  }
}
