import type { Logger } from '@nestjs/common';
import {
  redisDownLogMessage,
  redisErrorLogMessage,
  redisListenerFailedLogMessage,
  redisUpLogMessage,
} from './delivery.messages';

/** The events of an ioredis client the monitor follows (ioredis is an optional peer). */
export interface MonitoredRedisClient {
  readonly status: string;
  on(event: 'ready' | 'close' | 'end' | 'reconnecting', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** What the monitor says in its log lines (nothing secret: see {@link RedisConnectionMonitor}). */
export interface RedisConnectionMonitorOptions {
  /** Where Redis is, without credentials (`describeRedis`). */
  readonly where: string;
  /** What stops working while Redis is down, e.g. `['dedupe', 'queue', 'dead letters']`. */
  readonly affected: readonly string[];
  /** Secrets that must never reach a log line even if an error message quoted them. */
  readonly secrets?: readonly string[];
  /** @default () => new Date() */
  readonly now?: () => Date;
}

// Codes and messages of errors that only say "Redis is not reachable right now": the outage, not a
// new fact. Everything else (a Lua error, READONLY, NOAUTH) is logged as it is.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const CONNECTION_ERROR_TEXT = [
  'Connection is closed',
  "Stream isn't writeable",
  'connect ETIMEDOUT',
  'Reached the max retries per request limit',
];

/**
 * How often a connected client is asked for PING, and how long it may take to answer: a frozen or
 * hung Redis keeps its sockets open, so only an unanswered command shows it.
 */
const PROBE_INTERVAL_MS = 5000;
const PROBE_TIMEOUT_MS = 2000;

/** Resolves whether `promise` settled successfully within `ms` (never rejects). */
function answersWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

/** A repeated error that is not about the connection is logged again after this long. */
const REPEAT_LOG_INTERVAL_MS = 60_000;

/** An Error, told by its shape: errors from Node's own modules fail `instanceof` across realms (Jest, vm). */
function asError(error: unknown): (Error & { code?: unknown }) | undefined {
  return typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
    ? (error as Error & { code?: unknown })
    : undefined;
}

function errorText(error: unknown): string {
  return asError(error)?.message ?? String(error);
}

/** Whether an error from ioredis or BullMQ just means that Redis cannot be reached. */
export function isRedisConnectionError(error: unknown): boolean {
  const found = asError(error);
  if (!found) {
    return false;
  }
  if (typeof found.code === 'string' && CONNECTION_ERROR_CODES.has(found.code)) {
    return true;
  }
  const message = found.message;
  return (
    found.name === 'MaxRetriesPerRequestError' ||
    CONNECTION_ERROR_TEXT.some((text) => message.includes(text)) ||
    [...CONNECTION_ERROR_CODES].some((errno) => message.includes(errno))
  );
}

function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.max(0, Math.round(ms))} ms`;
  }
  if (ms < 120_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  return `${(ms / 60_000).toFixed(1)} min`;
}

/**
 * Whether the package's Redis answers, as one state with transitions, so that an outage is one
 * log line when it begins and one when it ends (with its length) instead of an error per
 * reconnection attempt. The state follows the runtime's own ioredis client(s) ({@link watch}):
 * up while every watched client is `ready`. BullMQ's queue and worker report their errors here
 * ({@link reportError}); connection errors are part of the outage already known (or about to be,
 * since BullMQ's connections and ours fail together) and are not logged one by one; any other
 * error is logged, at most once a minute per distinct message.
 *
 * Log lines name Redis by host and port only, and any configured secret is masked should an
 * error message quote it. Metrics and health checks subscribe with {@link onChange}.
 */
export class RedisConnectionMonitor {
  private up = true;
  private changedAt: Date;
  private reason: string | undefined;
  private stopped = false;
  /** Set while the probe's PING goes unanswered on a connection that looks open. */
  private unresponsive = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly clients = new Set<MonitoredRedisClient>();
  private readonly listeners = new Set<(up: boolean) => void>();
  private readonly lastLogged = new Map<string, number>();
  private readonly now: () => Date;

  constructor(
    private readonly logger: Logger,
    private readonly options: RedisConnectionMonitorOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.changedAt = this.now();
  }

  /** true while the package's Redis connections answer. */
  get isUp(): boolean {
    return this.up;
  }

  /** When the current state began. */
  get since(): Date {
    return this.changedAt;
  }

  /** Subscribe to up/down transitions (used by metrics and health); returns an unsubscribe. */
  onChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Follows a connected client: its state changes drive up/down, its errors are funnelled here. */
  watch(client: MonitoredRedisClient): void {
    this.clients.add(client);
    const update = (): void => {
      this.update();
    };
    client.on('ready', update);
    client.on('close', update);
    client.on('end', update);
    client.on('reconnecting', update);
    client.on('error', (error) => {
      this.reportError('Redis connection', error);
    });
    this.update();
  }

  /**
   * Asks `client` for PING every few seconds while it is connected: a Redis that holds its
   * connections but answers nothing (frozen, hung, overloaded) counts as down until it answers
   * again. One probe per monitor; the timer never keeps the process alive.
   */
  probe(
    client: { readonly status: string; ping(): Promise<unknown> },
    intervalMs = PROBE_INTERVAL_MS,
    timeoutMs = PROBE_TIMEOUT_MS,
  ): void {
    if (this.probeTimer !== undefined) {
      return;
    }
    let probing = false;
    this.probeTimer = setInterval(() => {
      if (probing || this.stopped || client.status !== 'ready') {
        return;
      }
      probing = true;
      void answersWithin(client.ping(), timeoutMs).then((answered) => {
        probing = false;
        if (answered !== this.unresponsive) {
          return;
        }
        this.unresponsive = !answered;
        if (!answered) {
          this.reason = `no answer to PING within ${timeoutMs} ms`;
        }
        this.update();
      });
    }, intervalMs);
    this.probeTimer.unref();
  }

  /**
   * An error from a Redis user (BullMQ queue or worker, a watched client). Never throws: it is
   * called by the listeners of 'error' events, which must not fail.
   */
  reportError(source: string, error: unknown): void {
    if (this.stopped) {
      return;
    }
    const reason = this.redact(errorText(error));
    if (isRedisConnectionError(error)) {
      // Kept to say why, in the "down" line; our own clients say when (BullMQ's connections fail
      // with them, and keep failing once a second while Redis is away).
      this.reason = reason;
      return;
    }
    const key = `${source}\n${reason}`;
    const now = this.now().getTime();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < REPEAT_LOG_INTERVAL_MS) {
      return;
    }
    if (this.lastLogged.size > 100) {
      this.lastLogged.clear();
    }
    this.lastLogged.set(key, now);
    this.logger.error(redisErrorLogMessage(source, reason));
  }

  /**
   * Stops logging and announcing transitions: shutdown closes the connections on purpose. The
   * state stays as it was.
   */
  stop(): void {
    this.stopped = true;
    clearInterval(this.probeTimer);
  }

  private update(): void {
    if (this.stopped) {
      return;
    }
    const up = !this.unresponsive && [...this.clients].every((client) => client.status === 'ready');
    if (up === this.up) {
      return;
    }
    const now = this.now();
    const outage = now.getTime() - this.changedAt.getTime();
    this.up = up;
    this.changedAt = now;
    const { where, affected } = this.options;
    const list = affected.join(', ');
    if (up) {
      this.logger.log(redisUpLogMessage(where, list, formatDuration(outage)));
      this.reason = undefined;
    } else {
      this.logger.error(redisDownLogMessage(where, list, this.reason ?? 'connection lost'));
    }
    for (const listener of this.listeners) {
      try {
        listener(up);
      } catch (error) {
        this.logger.error(redisListenerFailedLogMessage(this.redact(errorText(error))));
      }
    }
  }

  private redact(text: string): string {
    let safe = text.replace(/\/\/[^/@\s]*@/g, '//***@');
    for (const secret of this.options.secrets ?? []) {
      if (secret !== '') {
        safe = safe.split(secret).join('***');
      }
    }
    return safe;
  }
}
