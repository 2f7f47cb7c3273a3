import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import { VisiwiseEventPublisher } from '../events/visiwise-event.publisher';
import { VisiwiseTelemetry } from '../observability/visiwise-telemetry';
import type { DeliveryTrace } from '../observability/visiwise-tracing';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { LOGGER_CONTEXT, VISIWISE_WEBHOOK_CONFIG } from '../visiwise-webhook.constants';
import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';
import type {
  VisiwiseDeliveryMode,
  VisiwiseRedisConnection,
} from '../visiwise-webhook-options.interface';
import type { VisiwiseHealthSource } from '../observability/visiwise-health-source.interface';
import { BackgroundDeliveryStrategy } from './background-delivery.strategy';
import {
  deadLetterStoreNeedsInboxMessage,
  notQueueModeMessage,
  pgBossStartFailedMessage,
  postgresStoreNeedsDatabaseMessage,
  redisStoreNeedsRedisMessage,
} from './delivery.messages';
import { logStoreError } from './delivery-logging';
import type { DeliveryStrategy, VisiwiseAckStatus } from './delivery-strategy.interface';
import type { HandleDependencies } from './handle-once';
import type { VisiwiseIdempotencyStore } from './idempotency-store.interface';
import { InlineDeliveryStrategy } from './inline-delivery.strategy';
import { MemoryIdempotencyStore } from './memory-idempotency.store';
import {
  RedisClient,
  bullMqConnection,
  connectRedis,
  createRedisClient,
  describeRedis,
  loadBullMq,
  loadPgBoss,
  redisSecrets,
} from './optional-packages';
import { PgBossDeadLetters } from './pg-boss-dead-letters';
import { PgBossDeliveryStrategy } from './pg-boss-delivery.strategy';
import { pgBossSettings, startPgBoss, stopPgBoss } from './pg-boss-engine';
import { PgBossQueue } from './pg-boss-queue';
import { CONNECTION_CLOSE_GRACE_MS, QueueDeliveryStrategy } from './queue-delivery.strategy';
import type { DeadLetterStore } from './dead-letter-store.interface';
import { readDeliveryEnvelope, toEvent, type EventSource } from './event-reader';
import { InProcessDeadLetters } from './in-process-dead-letters';
import { MemoryDeadLetterStore } from './memory-dead-letter.store';
import type { VisiwiseJobData } from './queued-event';
import { RedisConnectionMonitor } from './redis-connection.monitor';
import { RedisDeadLetterStore } from './redis-dead-letter.store';
import { RedisIdempotencyStore } from './redis-idempotency.store';
import { settleWithin } from './shutdown-deadline';
import { unparseableBody, type UnparseableVisiwiseDelivery } from './unparseable-delivery';
import { VisiwiseDeadLetters, type VisiwiseDeadLetterSet } from './visiwise-dead-letters';
import { EndpointDeadLetters } from './endpoint-dead-letters';
import { NamespacedIdempotencyStore } from './namespaced-idempotency.store';
import type { ResolvedDatabaseConfig, ResolvedDeliveryConfig } from './delivery-config';
import type { Pool } from 'pg';
import type PgBoss from 'pg-boss';
import {
  createPgPool,
  describePostgresUrl,
  postgresUrlSecrets,
  redactSecrets,
} from '../postgres/postgres-packages';
import { checkSchema, migrateVisiwiseInbox } from '../postgres/migrate-visiwise-inbox';
import { PostgresIdempotencyStore } from '../postgres/postgres-idempotency.store';
import { PostgresDeliveryLog } from '../postgres/postgres-delivery-log';
import type { VisiwiseDeliveryKey } from '../postgres/delivery-log.interface';
import { PostgresDeliveryJournal } from '../inbox/postgres-delivery-journal';
import { InboxDeadLetterStore } from '../inbox/inbox-dead-letter.store';
import type { VisiwiseInboxReplayResult } from '../inbox/inbox.constants';
import { pruneFailedLogMessage, prunedLogMessage } from '../inbox/inbox.messages';
import { DEFAULT_ENDPOINT_NAME, type ResolvedEndpoint } from '../endpoints/endpoint-config';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Longest wait for one command of the runtime's own connection (the idempotency store's claims):
 * a Redis that holds the connection but never answers (overloaded, frozen) then costs a 503 that
 * Visiwise retries, not a request hanging past Svix's 15 s timeout and past shutdown.
 */
const COMMAND_TIMEOUT_MS = 5000;

/** Slack on top of the strategies' own bounds before a shutdown step is abandoned outright. */
const SHUTDOWN_SLACK_MS = 500;

type BullMq = typeof import('bullmq');

/** The statuses of a logged delivery that the inbox may replay. */
const REPLAYABLE: ReadonlySet<string> = new Set(['failed', 'dead', 'unparseable']);

/** What one endpoint delivers with. */
interface EndpointDelivery {
  readonly strategy: DeliveryStrategy;
  readonly deadLetters: VisiwiseDeadLetterSet;
}

/**
 * Owns what delivery needs at run time: the idempotency store, Redis connections (and the monitor
 * of their state), the PostgreSQL pool, the BullMQ queues or the PgBoss instance, and the strategy
 * of the configured mode. Connects at module init (failing the start if Redis or PostgreSQL is
 * unreachable), starts workers once every `@OnVisiwiseEvent` handler is registered, and on shutdown
 * stops accepting, waits up to `shutdownTimeoutMs` for work in flight, then closes connections
 * within a short grace, cutting those that Redis does not let close: shutdown ends on time
 * whatever Redis or the database does.
 */
@Injectable()
export class VisiwiseDeliveryRuntime
  implements
    OnModuleInit,
    OnApplicationBootstrap,
    BeforeApplicationShutdown,
    OnApplicationShutdown,
    VisiwiseHealthSource
{
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly clients: RedisClient[] = [];
  /** The connection of the Redis idempotency and dead-letter stores, shared by every endpoint. */
  private storeClient: RedisClient | undefined;
  private readonly endpoints = new Map<string, EndpointDelivery>();
  /** The application's own stores, closed once however many endpoints share them. */
  private readonly userStores = new Set<VisiwiseIdempotencyStore>();
  private deadLetters: EndpointDeadLetters | undefined;
  private schemaReady: Promise<void> | undefined;
  private poolInstance: Pool | undefined;
  private log: PostgresDeliveryLog | undefined;
  private journalInstance: PostgresDeliveryJournal | undefined;
  private readonly postgresStores: PostgresIdempotencyStore[] = [];
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning = false;
  /** The pool this runtime created from a URL, ended on shutdown (an application's pool is not). */
  private ownedPool: Pool | undefined;
  private monitor: RedisConnectionMonitor | undefined;
  /** The one PgBoss of the module's pg-boss endpoints, started with the first of them. */
  private boss: Promise<PgBoss> | undefined;
  /** The same, once started: stopped on shutdown, before the pool it queries through ends. */
  private startedBoss: PgBoss | undefined;
  private draining = false;

  constructor(
    @Inject(VISIWISE_WEBHOOK_CONFIG) private readonly config: VisiwiseWebhookConfig,
    private readonly publisher: VisiwiseEventPublisher,
    private readonly telemetry: VisiwiseTelemetry,
    @Optional() private readonly readiness?: EventEmitterReadinessWatcher,
  ) {}

  async onModuleInit(): Promise<void> {
    const { database, inbox } = this.config.delivery;
    if (database !== undefined) {
      // Fails the start when PostgreSQL does not answer or its tables are missing or behind.
      await this.database();
    }
    const log = this.deliveryLog();
    if (inbox !== undefined && log !== undefined && database !== undefined) {
      // The log's statements give up after database.statementTimeoutMs (see deliveryLog()).
      this.journalInstance = new PostgresDeliveryJournal(log, this.logger);
    }
    const needsBullMq = this.config.endpoints.some(
      ({ delivery }) => delivery.mode === 'queue' && delivery.queue.engine === 'bullmq',
    );
    const bullmq = needsBullMq ? loadBullMq() : undefined;
    try {
      for (const endpoint of this.config.endpoints) {
        this.endpoints.set(endpoint.name, await this.createEndpoint(endpoint, bullmq));
      }
    } catch (error) {
      // A failed start gets no shutdown hooks: pg-boss's maintenance timer would keep it alive.
      await this.stopBoss();
      throw error;
    }
    this.deadLetters = new EndpointDeadLetters(
      new Map([...this.endpoints].map(([name, { deadLetters }]) => [name, deadLetters])),
    );
  }

  /** The store, strategy and dead letters of one endpoint (Redis connections are shared). */
  private async createEndpoint(
    endpoint: ResolvedEndpoint,
    bullmq: BullMq | undefined,
  ): Promise<EndpointDelivery> {
    const delivery = endpoint.delivery;
    const store = await this.createStore(endpoint);
    const deps: HandleDependencies = {
      store,
      ...(this.journalInstance === undefined ? {} : { journal: this.journalInstance }),
      publisher: this.publisher,
      telemetry: this.telemetry,
      leaseMs: delivery.idempotency.leaseMs,
      ttlMs: delivery.idempotency.ttlMs,
      onStoreError: (error) => {
        if (this.monitor?.isUp !== false) {
          logStoreError(this.logger, '(after handling)', error);
        }
      },
      inRedisOutage: () => this.monitor?.isUp === false,
    };
    switch (delivery.mode) {
      case 'inline':
      case 'background': {
        const deadLetterStore = await this.createDeadLetterStore(delivery, endpoint.name);
        return {
          strategy:
            delivery.mode === 'inline'
              ? new InlineDeliveryStrategy(deps, this.logger, deadLetterStore)
              : new BackgroundDeliveryStrategy(deps, this.logger, deadLetterStore),
          deadLetters: new InProcessDeadLetters(endpoint.name, deadLetterStore, (kept) =>
            this.redeliver(endpoint, kept),
          ),
        };
      }
      case 'queue': {
        const { queue: queueConfig } = delivery;
        if (queueConfig.engine === 'pg-boss') {
          return this.createPgBossEndpoint(endpoint, deps);
        }
        if (this.clients.length === 0) {
          // A connection of our own: Redis must answer at start, and the worker watchdog needs to
          // know when it is back (a custom store brought no connection).
          await this.connect({
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            commandTimeout: COMMAND_TIMEOUT_MS,
          });
        }
        if (!bullmq) {
          throw new VisiwiseConfigurationError(notQueueModeMessage());
        }
        const queue = new bullmq.Queue<VisiwiseJobData>(queueConfig.name, {
          // Fail fast when Redis is down: a command waits for one reconnection attempt at most,
          // and enqueueTimeoutMs bounds the rest, so the HTTP path answers 503 instead of hanging.
          // (enableOfflineQueue: false would be faster still, but makes ioredis's ready check fail
          // while BullMQ closes, which BullMQ re-emits as an unhandled 'error'.)
          connection: bullMqConnection(this.redisOptions(), {
            maxRetriesPerRequest: 1,
          }) as never,
          prefix: queueConfig.prefix,
          defaultJobOptions: {
            attempts: queueConfig.attempts,
            backoff: { type: 'exponential', delay: queueConfig.backoffDelayMs },
            removeOnComplete: { age: Math.ceil(queueConfig.keepCompletedMs / 1000) },
            removeOnFail: false,
          },
        });
        // BullMQ re-emits connection errors on the queue; unlistened, an EventEmitter 'error' would
        // crash the process. A failed add already answers 503 and logs; the monitor covers the
        // rest (one line per outage, not one per reconnection attempt).
        const monitor = this.monitor;
        queue.on('error', (error) => {
          monitor?.reportError('queue', error);
        });
        this.telemetry.watchQueue(queue, queueConfig.name);
        return {
          strategy: new QueueDeliveryStrategy(
            {
              ...deps,
              bullmq,
              queue,
              endpoint: endpoint.name,
              readEnvelope: (source: EventSource) => readDeliveryEnvelope(this.config, source),
              config: queueConfig,
              // Workers block on Redis and must wait through reconnects (BullMQ requires this).
              workerConnection: queueConfig.runWorker
                ? bullMqConnection(this.redisOptions(), { maxRetriesPerRequest: null })
                : undefined,
              connection: this.requireMonitor(),
            },
            this.logger,
          ),
          deadLetters: new VisiwiseDeadLetters(queue, endpoint.name),
        };
      }
      default: {
        const unreachable: never = delivery.mode;
        throw new VisiwiseConfigurationError(String(unreachable));
      }
    }
  }

  /** An endpoint whose queue is pg-boss: its queue in the module's PgBoss, strategy, dead letters. */
  private async createPgBossEndpoint(
    endpoint: ResolvedEndpoint,
    deps: HandleDependencies,
  ): Promise<EndpointDelivery> {
    const config = endpoint.delivery.queue;
    const boss = await this.pgBoss();
    // Idempotent: a queue that exists (another instance, an earlier start) is left as it is.
    await boss.createQueue(config.name);
    const queue = new PgBossQueue(
      boss,
      await this.database(),
      this.requireDatabaseConfig().queueSchema,
      config,
    );
    this.telemetry.watchQueue(queue, config.name);
    return {
      strategy: new PgBossDeliveryStrategy(
        {
          ...deps,
          queue,
          endpoint: endpoint.name,
          readEnvelope: (source: EventSource) => readDeliveryEnvelope(this.config, source),
          config,
        },
        this.logger,
      ),
      deadLetters: new PgBossDeadLetters(queue, endpoint.name),
    };
  }

  /** The module's PgBoss, started once (pg-boss installs or migrates its schema then). */
  private pgBoss(): Promise<PgBoss> {
    this.boss ??= this.startBoss();
    return this.boss;
  }

  private async startBoss(): Promise<PgBoss> {
    const PgBossClass = loadPgBoss();
    const pool = await this.database();
    const database = this.requireDatabaseConfig();
    const queues = this.config.endpoints
      .map(({ delivery }) => delivery)
      .filter(({ mode, queue }) => mode === 'queue' && queue.engine === 'pg-boss')
      .map(({ queue }) => queue);
    try {
      this.startedBoss = await startPgBoss(
        PgBossClass,
        pool,
        pgBossSettings(database.queueSchema, queues),
        this.logger,
      );
    } catch (error) {
      const url = database.url;
      const reason = redactSecrets(
        error instanceof Error ? error.message : String(error),
        url === undefined ? [] : postgresUrlSecrets(url),
      );
      throw new VisiwiseConfigurationError(
        pgBossStartFailedMessage(
          database.queueSchema,
          url === undefined ? 'the `database` pool' : describePostgresUrl(url),
          reason,
        ),
      );
    }
    return this.startedBoss;
  }

  /** Stops pg-boss's timers (it makes no query for that): bounded all the same. */
  private async stopBoss(): Promise<void> {
    const boss = this.startedBoss;
    if (boss !== undefined) {
      await settleWithin(stopPgBoss(boss), CONNECTION_CLOSE_GRACE_MS);
    }
  }

  onApplicationBootstrap(): void {
    // Handlers are registered by @nestjs/event-emitter during bootstrap; a worker started earlier
    // could take a job, find no handler, and complete it unhandled. Not awaited: the readiness is
    // signalled by another module's bootstrap hook, which may run after this one.
    const ready = this.readiness?.waitUntilReady() ?? Promise.resolve();
    void ready.then(() => {
      for (const { strategy } of this.endpoints.values()) {
        strategy.start();
      }
    });
    this.startPruning();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    clearInterval(this.pruneTimer);
    const { shutdownTimeoutMs } = this.config.delivery;
    // The strategies bound their own waits; this bound holds even if one of them did not.
    await settleWithin(
      Promise.all(
        [...this.endpoints.values()].map(({ strategy }) => strategy.drain(shutdownTimeoutMs)),
      ),
      shutdownTimeoutMs + SHUTDOWN_SLACK_MS,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    // Before the queue and Redis close: a scrape meanwhile must not read a closing queue.
    this.telemetry.close();
    // Connections are closed on purpose from now on: no "Redis down" line for that.
    this.monitor?.stop();
    const grace = CONNECTION_CLOSE_GRACE_MS + SHUTDOWN_SLACK_MS;
    await Promise.all([
      settleWithin(
        Promise.all([...this.endpoints.values()].map(({ strategy }) => strategy.close())),
        grace,
      ),
      (async () => {
        await settleWithin(
          Promise.all([...this.userStores].map((store) => store.close?.() ?? Promise.resolve())),
          CONNECTION_CLOSE_GRACE_MS,
        );
        // pg-boss's maintenance queries through the pool: stopped before the pool ends.
        await this.stopBoss();
        await settleWithin(this.ownedPool?.end() ?? Promise.resolve(), CONNECTION_CLOSE_GRACE_MS);
        await Promise.all(
          this.clients.map(async (client) => {
            await settleWithin(client.quit(), CONNECTION_CLOSE_GRACE_MS);
            // After a quit, a no-op; after one Redis did not answer, it drops the socket and the
            // reconnection timer, which would otherwise keep the process alive.
            client.disconnect();
          }),
        );
      })(),
    ]);
  }

  /**
   * The state of the package's Redis connections (up/down, since when, transitions), or undefined
   * when no Redis is configured (or a custom store brings its own). For metrics and health checks.
   */
  redisConnection(): RedisConnectionMonitor | undefined {
    return this.monitor;
  }

  /** Hands a verified event to the delivery mode of the endpoint that received it. */
  deliver(event: AnyVisiwiseEvent, trace?: DeliveryTrace): Promise<VisiwiseAckStatus> {
    return this.endpointDelivery(event.endpoint).strategy.deliver(event, trace);
  }

  /** The delivery mode (health details): the first endpoint's. */
  get mode(): VisiwiseDeliveryMode {
    return this.config.delivery.mode;
  }

  /** Whether the package's Redis connections answer; undefined when no Redis is configured. */
  redisUp(): boolean | undefined {
    return this.monitor?.isUp;
  }

  /**
   * Whether this process's queue workers run (false if any of them does not); undefined when it
   * runs none.
   */
  workerRunning(): boolean | undefined {
    let running: boolean | undefined;
    for (const { strategy } of this.endpoints.values()) {
      const worker =
        strategy instanceof QueueDeliveryStrategy || strategy instanceof PgBossDeliveryStrategy
          ? strategy.workerRunning()
          : undefined;
      if (worker !== undefined) {
        running = (running ?? true) && worker;
      }
    }
    return running;
  }

  /** Whether deliveries are still accepted (false once shutdown began). */
  accepting(): boolean {
    return !this.draining;
  }

  /** How many entries the dead letters hold. */
  deadLetterCount(): Promise<number> {
    return this.getDeadLetters().count();
  }

  /** Keeps a verified delivery that is not a usable event in its endpoint's dead letters. */
  keepUnparseable(delivery: UnparseableVisiwiseDelivery): Promise<VisiwiseAckStatus> {
    return this.endpointDelivery(
      delivery.endpoint ?? DEFAULT_ENDPOINT_NAME,
    ).strategy.keepUnparseable(delivery);
  }

  /** The dead letters of every endpoint. */
  getDeadLetters(): EndpointDeadLetters {
    if (!this.deadLetters) {
      throw new Error('VisiwiseDeliveryRuntime used before module initialisation');
    }
    return this.deadLetters;
  }

  private endpointDelivery(name: string): EndpointDelivery {
    const found = this.endpoints.get(name);
    if (found === undefined) {
      throw new Error(
        this.endpoints.size === 0
          ? 'VisiwiseDeliveryRuntime used before module initialisation'
          : `VisiwiseDeliveryRuntime: no endpoint named "${name}"`,
      );
    }
    return found;
  }

  /** Reads a kept delivery's body anew and delivers it if it is an event now (in-process modes). */
  private async redeliver(
    endpoint: ResolvedEndpoint,
    kept: UnparseableVisiwiseDelivery,
  ): Promise<boolean> {
    const parsed = readDeliveryEnvelope(this.config, {
      rawBody: unparseableBody(kept),
      parsedBody: undefined,
    });
    if (!parsed.ok) {
      return false;
    }
    const signedAt = new Date(Number(kept.headers['svix-timestamp']) * 1000);
    await this.deliver(
      toEvent(parsed.envelope, { id: kept.id, timestamp: signedAt }, new Date(), {
        endpoint: endpoint.name,
        tenant: kept.tenant,
      }),
    );
    return true;
  }

  private async createDeadLetterStore(
    delivery: ResolvedDeliveryConfig,
    endpoint: string,
  ): Promise<DeadLetterStore> {
    const { deadLetters } = delivery;
    if (deadLetters.store === 'memory') {
      return new MemoryDeadLetterStore(deadLetters.maxEntries);
    }
    if (deadLetters.store === 'postgres') {
      const log = this.deliveryLog();
      if (log === undefined) {
        // Unreachable after resolveDeliveryConfig's checks.
        throw new VisiwiseConfigurationError(deadLetterStoreNeedsInboxMessage());
      }
      return new InboxDeadLetterStore(log, endpoint);
    }
    // The stores' connection: dead letters are written rarely.
    return new RedisDeadLetterStore(await this.sharedStoreClient(), deadLetters.keyPrefix);
  }

  private async createStore(endpoint: ResolvedEndpoint): Promise<VisiwiseIdempotencyStore> {
    const { idempotency } = endpoint.delivery;
    if (typeof idempotency.store === 'object') {
      this.userStores.add(idempotency.store);
      // One store object for several endpoints: the same svix-id on two of them is two deliveries.
      return this.config.endpoints.length > 1
        ? new NamespacedIdempotencyStore(idempotency.store, `${endpoint.name}/`)
        : idempotency.store;
    }
    if (idempotency.store === 'memory') {
      return new MemoryIdempotencyStore({ maxEntries: idempotency.maxEntries });
    }
    if (idempotency.store === 'postgres') {
      const database = this.requireDatabaseConfig();
      const store = new PostgresIdempotencyStore(await this.database(), {
        schema: database.schema,
        tablePrefix: database.tablePrefix,
        namespace: endpoint.name,
        statementTimeoutMs: database.statementTimeoutMs,
      });
      this.postgresStores.push(store);
      return store;
    }
    return new RedisIdempotencyStore(await this.sharedStoreClient(), {
      keyPrefix: idempotency.keyPrefix,
    });
  }

  /**
   * The PostgreSQL pool of the `database` option, shared by every endpoint and feature: the
   * application's own, or one created from the URL (then ended on shutdown). Migrations run once,
   * here, when `database.migrate` is on.
   */
  protected async database(): Promise<Pool> {
    this.schemaReady ??= this.prepareSchema();
    await this.schemaReady;
    return this.pgPool();
  }

  /** The pool itself, before the schema is checked (pg connects lazily). */
  private pgPool(): Pool {
    if (this.poolInstance === undefined) {
      const config = this.requireDatabaseConfig();
      this.poolInstance =
        config.pool ??
        (this.ownedPool = createPgPool(config.url ?? '', 'the `database` option', {
          connectionTimeoutMillis: config.statementTimeoutMs,
          query_timeout: config.statementTimeoutMs,
        }));
    }
    return this.poolInstance;
  }

  private async prepareSchema(): Promise<void> {
    const config = this.requireDatabaseConfig();
    const pool = this.pgPool();
    const tables = { schema: config.schema, tablePrefix: config.tablePrefix };
    if (config.migrate) {
      await migrateVisiwiseInbox(pool, tables);
    }
    await checkSchema(pool, tables, config.url);
  }

  /** The delivery log, when the `inbox` option is on (for the inbox page and replay). */
  deliveryLog(): PostgresDeliveryLog | undefined {
    if (this.config.delivery.inbox === undefined) {
      return undefined;
    }
    const database = this.requireDatabaseConfig();
    this.log ??= new PostgresDeliveryLog(this.pgPool(), {
      schema: database.schema,
      tablePrefix: database.tablePrefix,
      statementTimeoutMs: database.statementTimeoutMs,
    });
    return this.log;
  }

  /**
   * Replays a logged delivery (the inbox's replay): a failed, dead or unparseable delivery is read
   * anew from its recorded body and handed to its endpoint's delivery mode (in queue mode, its
   * failed job goes back to the queue). The attempt and its outcome are recorded as usual.
   */
  async replayLogged(key: VisiwiseDeliveryKey): Promise<VisiwiseInboxReplayResult> {
    const log = this.deliveryLog();
    const detail = await log?.get(key);
    if (detail === undefined) {
      return 'not_found';
    }
    const endpoint = this.config.endpointsByName.get(detail.endpoint);
    const target = this.endpoints.get(detail.endpoint);
    if (!REPLAYABLE.has(detail.status) || endpoint === undefined || target === undefined) {
      return 'not_replayable';
    }
    const tenant = detail.tenant === '' ? undefined : detail.tenant;
    if (endpoint.delivery.mode === 'queue') {
      return (await target.deadLetters.replay(detail.deliveryId, tenant))
        ? 'replayed'
        : 'not_replayable';
    }
    const parsed = readDeliveryEnvelope(this.config, {
      rawBody: detail.rawBody,
      parsedBody: undefined,
    });
    if (!parsed.ok) {
      return 'not_replayable';
    }
    const signedAt = detail.svixTimestamp ?? detail.receivedAt;
    const event = toEvent(
      parsed.envelope,
      { id: detail.deliveryId, timestamp: signedAt },
      new Date(),
      {
        endpoint: endpoint.name,
        tenant,
      },
    );
    try {
      await this.deliver(event);
    } catch {
      // A failed run is recorded in the log as an attempt; the caller reads the outcome there.
    }
    return 'replayed';
  }

  /** Prunes the delivery log (and expired PostgreSQL claims) on a timer, in small batches. */
  private startPruning(): void {
    const inbox = this.config.delivery.inbox;
    const log = this.deliveryLog();
    if (inbox === undefined || log === undefined) {
      return;
    }
    this.pruneTimer = setInterval(() => {
      void this.prune(inbox, log);
    }, inbox.pruneIntervalMs);
    this.pruneTimer.unref();
  }

  /** One pruning run; resolves the rows deleted (deliveries, claims). */
  async prune(
    inbox: NonNullable<ResolvedDeliveryConfig['inbox']> | undefined = this.config.delivery.inbox,
    log: PostgresDeliveryLog | undefined = this.deliveryLog(),
  ): Promise<{ deliveries: number; claims: number }> {
    if (inbox === undefined || log === undefined || this.pruning) {
      return { deliveries: 0, claims: 0 };
    }
    this.pruning = true;
    try {
      const deliveries = await log.prune({
        olderThan: new Date(Date.now() - inbox.retentionMs),
        batchSize: inbox.pruneBatchSize,
      });
      const claimStore = this.postgresStores[0];
      const claims =
        claimStore === undefined
          ? 0
          : await claimStore.pruneExpired({ batchSize: inbox.pruneBatchSize });
      if (deliveries + claims > 0) {
        this.logger.log(prunedLogMessage(deliveries, claims));
      }
      return { deliveries, claims };
    } catch (error) {
      this.logger.warn(
        pruneFailedLogMessage(error instanceof Error ? error.message : String(error)),
      );
      return { deliveries: 0, claims: 0 };
    } finally {
      this.pruning = false;
    }
  }

  /** The journal of the delivery log (`inbox` on), which the receiver records deliveries with. */
  get journal(): PostgresDeliveryJournal | undefined {
    return this.journalInstance;
  }

  private requireDatabaseConfig(): ResolvedDatabaseConfig {
    const database = this.config.delivery.database;
    if (database === undefined) {
      // Unreachable after resolveDeliveryConfig's checks.
      throw new VisiwiseConfigurationError(postgresStoreNeedsDatabaseMessage());
    }
    return database;
  }

  private async sharedStoreClient(): Promise<RedisClient> {
    this.storeClient ??= await this.connect({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
    });
    return this.storeClient;
  }

  private requireMonitor(): RedisConnectionMonitor {
    if (!this.monitor) {
      // connect() creates it; every Redis feature connects first.
      throw new Error('VisiwiseDeliveryRuntime: Redis features used before connecting');
    }
    return this.monitor;
  }

  /** What an outage of the configured Redis stops, as the one "down" log line names it. */
  private redisFeatures(): string[] {
    const features = new Set<string>();
    for (const { delivery } of this.config.endpoints) {
      const { mode, idempotency, deadLetters } = delivery;
      if (idempotency.store === 'redis') {
        features.add('dedupe');
      }
      if (mode === 'queue') {
        features.add('queue').add('dead letters');
      } else if (deadLetters.store === 'redis') {
        features.add('dead letters');
      }
    }
    return [...features];
  }

  private redisOptions(): VisiwiseRedisConnection {
    const connection = this.config.delivery.redis;
    if (connection === undefined) {
      // Unreachable after resolveDeliveryConfig's checks; the message names the fix all the same.
      throw new VisiwiseConfigurationError(redisStoreNeedsRedisMessage());
    }
    return connection;
  }

  private async connect(overrides: Record<string, unknown>): Promise<RedisClient> {
    const connection = this.redisOptions();
    const client = createRedisClient(connection, overrides, 'Redis delivery features');
    // ioredis emits connection errors as events; unhandled they would crash the process. Until
    // the client is watched (below), a failed start is reported by connectRedis's own error.
    client.on('error', () => undefined);
    await connectRedis(client, connection, CONNECT_TIMEOUT_MS);
    this.clients.push(client);
    if (!this.monitor) {
      this.monitor = new RedisConnectionMonitor(this.logger, {
        where: describeRedis(connection),
        affected: this.redisFeatures(),
        secrets: redisSecrets(connection),
      });
      this.telemetry.watchRedis(this.monitor);
      this.monitor.probe(client);
    }
    this.monitor.watch(client);
    return client;
  }
}
