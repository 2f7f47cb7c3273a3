import type { VisiwiseIdempotencyStore } from './delivery/idempotency-store.interface';
import type { VisiwiseEnvelopeInput } from './events/visiwise-event.parser';
import type { VisiwiseInboxPageOptions } from './inbox/inbox-page-options.interface';
import type { VisiwiseObservabilityOptions } from './observability/observability-options';
import type { VisiwiseSecretInput } from './signature/signing-secret';

/**
 * When a delivery is acknowledged (see the README's "Delivery guarantees"):
 * - `inline`: after every handler succeeded (a failure answers 500 and Visiwise retries);
 * - `background`: right after verification; handlers run afterwards in this process (a crash
 *   loses what was in flight);
 * - `queue`: once the event is persisted as a job (BullMQ in Redis, or pg-boss in PostgreSQL);
 *   workers run the handlers with retries, and failures end in a replayable dead-letter set.
 */
export type VisiwiseDeliveryMode = 'inline' | 'background' | 'queue';

/** ioredis connection options (passed through to ioredis as they are). */
export interface VisiwiseRedisOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, unknown>;
  [option: string]: unknown;
}

/** A Redis URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS) or ioredis options. */
export type VisiwiseRedisConnection = string | VisiwiseRedisOptions;

/**
 * PostgreSQL (driver `pg`, an optional peer dependency), for the delivery log (`inbox`), the
 * idempotency store (`idempotency.store: 'postgres'`) and the pg-boss queue engine.
 */
export interface VisiwiseDatabaseOptions {
  /** `postgres://user:password@host:5432/database`. Either this or `pool`. */
  url?: string;
  /**
   * Your own `pg` Pool instead of a URL; the module never ends it. (Typed loosely so that apps
   * without `@types/pg` compile; it must be a `pg.Pool`.)
   */
  pool?: object;
  /** Schema of the package's tables. @default 'public' */
  schema?: string;
  /** Prefix of the package's table names. @default 'visiwise_' */
  tablePrefix?: string;
  /**
   * Apply the package's migrations at start (`visiwise-webhook inbox migrate` does the same at
   * deployment). They only create the package's own tables, never alter others.
   * @default false
   */
  migrate?: boolean;
  /**
   * Longest wait for the database on the request path (recording a delivery, a claim) before
   * answering 503, so that Visiwise retries instead of timing out.
   * @default 5000
   */
  statementTimeoutMs?: number;
  /**
   * Schema of the pg-boss queue engine's tables (`queue.engine: 'pg-boss'`). pg-boss creates and
   * migrates it at start. Give it a schema of its own, not one an application's own pg-boss uses:
   * pg-boss's maintenance archives every queue of its schema by the settings of whichever instance
   * runs it, and this module keeps failed jobs (the dead letters) until they are replayed. A plain
   * lower-case identifier of up to 50 characters (pg-boss's limit).
   * @default `<tablePrefix>pgboss` (`visiwise_pgboss`), prefixed with `<schema>_` when `schema` is
   *   not `public`
   */
  queueSchema?: string;
}

/** A PostgreSQL URL, or {@link VisiwiseDatabaseOptions}. */
export type VisiwiseDatabaseConnection = string | VisiwiseDatabaseOptions;

/** The delivery log in PostgreSQL (needs `database`). */
export interface VisiwiseInboxOptions {
  /**
   * Deliveries older than this are pruned (dead and unparseable ones are kept until replayed).
   * @default 30
   */
  retentionDays?: number;
  /** How often this instance prunes. @default 3600 */
  pruneIntervalSeconds?: number;
  /** Rows deleted per statement while pruning (small batches hold locks briefly). @default 1000 */
  pruneBatchSize?: number;
}

/** How deliveries are deduplicated by `svix-id`. */
export interface VisiwiseIdempotencyOptions {
  /**
   * `memory` (this process only, bounded), `redis` (shared by every instance; needs `redis`),
   * `postgres` (shared; needs `database`), or your own {@link VisiwiseIdempotencyStore}.
   * @default 'redis' when the `redis` option is set, else 'postgres' when `database` is, else 'memory'
   */
  store?: 'memory' | 'redis' | 'postgres' | VisiwiseIdempotencyStore;
  /**
   * How long a handled id is remembered. Must outlast Svix's retry horizon (~27.6 h).
   * @default 129600 (36 h)
   */
  ttlSeconds?: number;
  /**
   * How long a claim lasts while handlers run. A claim whose process died expires after this, and
   * the next retry handles the event. Keep it above your slowest handler.
   * @default 300
   */
  leaseSeconds?: number;
  /** Most ids the memory store remembers (least recently used forgotten first). @default 100000 */
  maxEntries?: number;
  /** Prefix of the Redis keys. @default 'visiwise:delivery:' */
  keyPrefix?: string;
}

/**
 * The queue of `delivery: 'queue'`: BullMQ on Redis, or pg-boss on PostgreSQL. Most settings mean
 * the same on both; where pg-boss differs, the field says how.
 */
export interface VisiwiseQueueOptions {
  /**
   * `bullmq` (needs `redis`) or `pg-boss` (needs `database`; pg-boss is an optional peer
   * dependency).
   * @default 'bullmq' when `redis` is set, otherwise 'pg-boss' when `database` is
   */
  engine?: 'bullmq' | 'pg-boss';
  /**
   * Queue name (one per application; pg-boss: the queue's name in its schema, see
   * `database.queueSchema`). @default 'visiwise-webhooks'
   */
  name?: string;
  /** BullMQ key prefix in Redis (BullMQ only). @default 'bull' */
  prefix?: string;
  /**
   * Run a worker in this process. Set `false` on instances that should only receive (the jobs are
   * then handled by instances or processes that run the worker).
   * @default true
   */
  worker?: boolean;
  /** Jobs one worker runs at once. @default 5 */
  concurrency?: number;
  /** Attempts per job before it ends in the failed (dead-letter) set. @default 8 */
  attempts?: number;
  /**
   * First retry delay; each next one doubles (exponential backoff). pg-boss counts it in whole
   * seconds (at least 1) and adds up to as much again at random to each delay (jitter).
   * @default 1000
   */
  backoffDelayMs?: number;
  /**
   * Longest wait for Redis (or PostgreSQL, with pg-boss) to persist a job before answering 503.
   * @default 5000
   */
  enqueueTimeoutMs?: number;
  /** How long completed jobs are kept (they also collapse duplicate deliveries). @default 129600 */
  keepCompletedSeconds?: number;
  /**
   * BullMQ: the job lock, renewed while the handlers run; a worker that stops renewing it is
   * considered stalled. pg-boss has no renewal: this is the job's expiry (in whole seconds,
   * under 24 h), the longest its handlers may run. A job still active then (its worker died, or
   * its handlers are too slow) is failed and retried like a handler failure.
   * @default 30000
   */
  lockDurationMs?: number;
  /**
   * How often stalled jobs are looked for and handed to another worker (pg-boss: the interval of
   * its maintenance, which expires jobs and archives completed ones; whole seconds).
   * @default 30000
   */
  stalledIntervalMs?: number;
  /**
   * pg-boss only: how often an idle worker asks PostgreSQL for jobs. A job sent by this process
   * wakes its own worker at once; one sent by another instance waits for the next poll.
   * @default 2000
   */
  pollingIntervalMs?: number;
  /**
   * What a worker does with a job whose event type no `@OnVisiwiseEvent` handler of its process
   * takes (e.g. a worker deployed without the module that handles it): `complete` it (counted in
   * the metrics and logged once per type), or move it to the failed set (`dead-letter`) to replay
   * once a handler is deployed.
   * @default 'complete'
   */
  unhandledJobs?: 'complete' | 'dead-letter';
}

/** Where the inline and background modes keep deliveries they could not read as events. */
export interface VisiwiseDeadLetterOptions {
  /**
   * `memory` (this process, bounded; lost on restart), `redis` (shared, kept until replayed;
   * needs `redis`) or `postgres` (the delivery log, status `unparseable`; needs `inbox`). The
   * queue mode keeps its dead letters in its queue's failed jobs instead.
   * @default 'redis' when the `redis` option is set, else 'postgres' with `inbox`, else 'memory'
   */
  store?: 'memory' | 'redis' | 'postgres';
  /** Most entries the memory store keeps (least recently added dropped first). @default 10000 */
  maxEntries?: number;
  /** Prefix of the Redis keys. @default 'visiwise:dead-letter:' */
  keyPrefix?: string;
}

/**
 * How much a verified delivery's content may differ from the expected shape (see
 * {@link VisiwiseWebhookModuleOptions.payloadValidation}).
 */
export type VisiwisePayloadValidation = 'lenient' | 'strict';

/**
 * Names of the endpoints an application declares, for type-checked handler filters and event
 * fields. Empty by default (any string is an endpoint name); declare yours with declaration
 * merging, and `@OnVisiwiseEvent(type, { endpoint: 'ue' })` stops compiling:
 *
 * ```ts
 * declare module 'nestjs-visiwise-webhook' {
 *   interface VisiwiseEndpointRegistry { eu: true; us: true }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VisiwiseEndpointRegistry {}

/**
 * An endpoint name: a key of {@link VisiwiseEndpointRegistry} once the application declared its
 * endpoints there, otherwise any string.
 */
export type VisiwiseEndpointName = [keyof VisiwiseEndpointRegistry] extends [never]
  ? string
  : Extract<keyof VisiwiseEndpointRegistry, string>;

/** What a tenant's secret resolver is called with. */
export interface VisiwiseTenantLookup {
  /** The endpoint whose route received the delivery. */
  readonly endpoint: string;
  /** Aborted when the lookup timed out (`tenants.timeoutMs`): stop the query. */
  readonly signal: AbortSignal;
}

/**
 * Secrets resolved per tenant at run time, for a SaaS with one Visiwise account per customer: the
 * endpoint's route gets a tenant segment (`POST /webhooks/visiwise/<tenant>`, or
 * `/webhooks/visiwise/<endpoint>/<tenant>`), and each delivery is verified with that tenant's
 * secret(s). Events carry `tenant`; deliveries are deduplicated per tenant.
 */
export interface VisiwiseTenantOptions {
  /**
   * Returns the tenant's signing secret(s) (as `secret` accepts them), or `undefined` (or an empty
   * list) for a tenant that does not exist: such a delivery is answered exactly like a bad
   * signature (401), so the endpoint does not tell which tenants exist. A throw, a rejection or no
   * answer within `timeoutMs` answers 503 (Visiwise retries) and is logged without any secret.
   */
  resolveSecret(
    tenant: string,
    lookup: VisiwiseTenantLookup,
  ):
    | VisiwiseSecretInput
    | readonly VisiwiseSecretInput[]
    | undefined
    | Promise<VisiwiseSecretInput | readonly VisiwiseSecretInput[] | undefined>;
  /**
   * How many tenants' verifiers are cached (least recently used dropped first). Drop one tenant
   * when its secret rotates with `VisiwiseWebhookEndpoints.forgetTenant()`.
   * @default 1000
   */
  cacheSize?: number;
  /** How long a resolved secret is cached. @default 300 (5 min) */
  cacheTtlSeconds?: number;
  /**
   * How long "no such tenant" is cached: short, so that a new tenant's first deliveries get
   * through soon, while a scanner's guesses do not each reach your database.
   * @default 30
   */
  unknownTtlSeconds?: number;
  /** Longest wait for `resolveSecret` before answering 503. @default 2000 */
  timeoutMs?: number;
}

/**
 * One endpoint of {@link VisiwiseWebhookModuleOptions.endpoints}: what it does not set is taken from
 * the module's options (`delivery`, `toleranceSeconds`, `idempotency`, `queue`, `deadLetters`),
 * except the names of what it stores, which default to its own (see each field).
 */
export interface VisiwiseEndpointOptions {
  /**
   * Route segment of the endpoint under the module's `path`: `POST /<path>/<segment>`. One
   * segment of letters, digits, `-`, `_` or `.`; two endpoints with the same segment fail the start.
   * @default the endpoint's name
   */
  path?: string;
  /**
   * The endpoint's signing secret(s), as the module's `secret`. Required unless `tenants` is set
   * or the module's `secret` (or `VISIWISE_WEBHOOK_SECRET`) should apply to this endpoint too.
   */
  secret?: VisiwiseSecretInput | readonly VisiwiseSecretInput[];
  /** Secrets looked up per tenant instead of `secret` (the route gets a tenant segment). */
  tenants?: VisiwiseTenantOptions;
  /** Accepted timestamp distance in seconds. @default the module's `toleranceSeconds` */
  toleranceSeconds?: number;
  /** Delivery mode of this endpoint. @default the module's `delivery` */
  delivery?: VisiwiseDeliveryMode;
  /**
   * Deduplication. The Redis `keyPrefix` defaults to the module's prefix followed by
   * `<name>:`, so that the same `svix-id` on two endpoints is two deliveries.
   */
  idempotency?: VisiwiseIdempotencyOptions;
  /** The endpoint's queue. `name` defaults to the module's queue name followed by `-<name>`. */
  queue?: VisiwiseQueueOptions;
  /** Dead letters. The Redis `keyPrefix` defaults to the module's prefix followed by `<name>:`. */
  deadLetters?: VisiwiseDeadLetterOptions;
}

/**
 * Options of `VisiwiseWebhookModule.forRoot()` (or returned by the `forRootAsync()` factory).
 */
export interface VisiwiseWebhookModuleOptions extends VisiwiseObservabilityOptions {
  /**
   * Several endpoints in one application, by name (letters, digits, `-`, `_`; at most 64
   * characters): e.g. one per Visiwise account, region or environment, each with its own secret,
   * mounted at `POST /<path>/<name>`. The module's own options are their shared defaults. Without
   * it, the module has one endpoint, named `default`, at `POST /<path>`.
   */
  endpoints?: Readonly<Partial<Record<VisiwiseEndpointName, VisiwiseEndpointOptions>>>;
  /**
   * Secrets resolved per tenant for the module's single endpoint (`POST /<path>/<tenant>`). With
   * `endpoints`, set it per endpoint instead.
   */
  tenants?: VisiwiseTenantOptions;
  /**
   * The endpoint's signing secret (`whsec_...`, from the Visiwise dashboard), or several during a
   * rotation, each optionally `{ secret, notAfter }`; `whpk_...` Ed25519 public keys (asymmetric
   * `v1a` signatures) may be mixed in. When omitted, `VISIWISE_WEBHOOK_SECRET` is read through
   * `ConfigService` (if `@nestjs/config` is set up) or `process.env`; it may hold several entries
   * separated by spaces or commas. A missing or malformed secret, or a `whsk_` private key, makes
   * the application fail at start.
   */
  secret?: VisiwiseSecretInput | readonly VisiwiseSecretInput[];
  /**
   * Accepted distance, in seconds, between the signed `svix-timestamp` and the server clock, in
   * both directions. Older deliveries are rejected as replays.
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * Largest body accepted, in bytes; larger deliveries are answered 413 before any signature work.
   * The platform's own limit applies first (Express: 100 KiB unless raised with
   * `app.useBodyParser('json', { limit })`; Fastify: 1 MiB, `bodyLimit`), so raise it to at least this.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Deepest nesting of objects and arrays read in a body, so a hostile-but-signed body cannot
   * exhaust the stack of code that walks it: a deeper one is kept in the dead letters as
   * unparseable (`json_too_deep`), or answered 400 under `payloadValidation: 'strict'`.
   * @default 32
   */
  maxJsonDepth?: number;
  /**
   * Parse the verified raw bytes again to build the event, instead of using the body the platform
   * parsed from those same bytes (Nest captures `rawBody` in the JSON parser call that sets
   * `request.body`). Turn it on when application middleware rewrites `request.body` before guards
   * run (input sanitisers, for instance) and handlers must see exactly what Visiwise signed; it
   * costs a second JSON parse per delivery (about 10 µs at 1 KiB, 0.1 ms at 16 KiB, 2 ms at
   * 256 KiB). Either way the depth limit and the `__proto__` / `constructor` removal apply.
   * @default false
   */
  reparseRawBody?: boolean;
  /**
   * Only accept deliveries from these addresses or CIDR ranges (IPv4 and IPv6), e.g. Svix's
   * published egress IPs. The client address is the platform's `request.ip`, so Express's
   * `trust proxy` setting and Fastify's `trustProxy` option decide whether X-Forwarded-For counts:
   * behind a load balancer, configure those, never trust the header blindly. Others get 403.
   * @default undefined (any address)
   */
  allowedIps?: readonly string[];
  /**
   * What a verified delivery whose content does not match the expected shape costs. Visiwise does
   * not publish its payload schema, so the default never refuses a signed delivery for its content:
   * - `lenient`: a usable envelope (`type` a string, `data` an object) whose payload fails its
   *   type's checks reaches the handlers with `event.issues` listed; an unusable one (not JSON, no
   *   `type`, nested too deep, ...) is answered 200 `{"status":"unparseable"}`, emitted to no
   *   handler, and kept with its raw body and reason in the dead letters, to replay after a fix
   *   (see `readEnvelope`);
   * - `strict`: both are answered 400 with their reason (`invalid_payload`, `invalid_json`, ...).
   *   Svix then retries for about 28 hours and drops the event: choose it only if you would
   *   rather lose such an event than handle it with issues.
   * @default 'lenient'
   */
  payloadValidation?: VisiwisePayloadValidation;
  /**
   * Reads a verified body that the built-in reader cannot use as `{ type, data }` (not JSON, no
   * string `type`, no object `data`): return the envelope, or `undefined` to keep the delivery as
   * unparseable. Use it when Visiwise's real body shape turns out to differ from the assumed
   * `{ type, timestamp, data }`, then replay the dead letters. What it returns gets the same
   * checks as a parsed body; a throw counts as `undefined`.
   */
  readEnvelope?: (rawBody: Buffer) => VisiwiseEnvelopeInput | undefined;
  /** Where deliveries that could not be read as events are kept (inline and background modes). */
  deadLetters?: VisiwiseDeadLetterOptions;
  /**
   * When deliveries are acknowledged and where handlers run.
   * @default 'inline'
   */
  delivery?: VisiwiseDeliveryMode;
  /** Redis for the shared idempotency store and the BullMQ queue. */
  redis?: VisiwiseRedisConnection;
  /** PostgreSQL for the delivery log, the shared idempotency store and the pg-boss queue. */
  database?: VisiwiseDatabaseConnection;
  /**
   * Record every verified delivery in PostgreSQL before acknowledging it (needs `database`): what
   * arrived, its payload issues, each handling attempt and its outcome, kept `retentionDays`. The
   * database down means 503, and Visiwise retries. `true` for the defaults.
   * @default false
   */
  inbox?: boolean | VisiwiseInboxOptions;
  /** Deduplication by `svix-id`. */
  idempotency?: VisiwiseIdempotencyOptions;
  /** The queue of `delivery: 'queue'` (BullMQ or pg-boss). */
  queue?: VisiwiseQueueOptions;
  /**
   * On shutdown, how long to wait for in-flight deliveries and jobs before giving up (jobs are
   * then handed back to the queue through BullMQ's stalled-job recovery, or pg-boss's expiry).
   * @default 10000
   */
  shutdownTimeoutMs?: number;
}

/**
 * Registration-time options, accepted by both `forRoot()` and `forRootAsync()` at the top level
 * (not from the async factory: Nest builds routes before async providers resolve).
 */
export interface VisiwiseWebhookModuleExtras {
  /**
   * Register the module globally, so its exports (the guard, the verifier) are injectable
   * everywhere without importing it again.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Route of the webhook endpoint (`POST /<path>`), relative to the app's global prefix.
   * @default 'webhooks/visiwise'
   */
  path?: string;
  /**
   * Decorators applied to the webhook controller class, for apps with global guards or
   * interceptors: e.g. your own `@Public()` so a global auth guard lets Visiwise through (the
   * signature guard still applies), or `@SkipThrottle()` for a global ThrottlerGuard.
   * Not applied to the inbox page: they exist to let Visiwise past the app's authentication, which
   * the page must never skip.
   * @default []
   */
  controllerDecorators?: readonly ClassDecorator[];
  /**
   * Mount the inbox page: a server-rendered HTML page of the delivery log (needs `inbox`) where
   * operators filter deliveries, read their payloads and attempts, and replay failed ones. It
   * mounts only behind at least one of your guards (see {@link VisiwiseInboxPageOptions}); the
   * app's global guards apply to it too.
   * @default undefined (no page)
   */
  inboxPage?: VisiwiseInboxPageOptions;
}
