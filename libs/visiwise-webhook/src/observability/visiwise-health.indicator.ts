import { Inject, Injectable } from '@nestjs/common';
import type { VisiwiseHandlingMode } from './delivery-answer.interface';
import { DEAD_LETTER_COUNT_TIMEOUT_MS, VISIWISE_HEALTH_SOURCE } from './observability.constants';
import {
  deadLetterCountFailedMessage,
  deadLetterCountTimeoutMessage,
} from './observability.messages';
import type { VisiwiseHealthSource } from './visiwise-health-source.interface';

/** The state of the module's Redis connection, as the health checks report it. */
export type VisiwiseRedisHealth = 'up' | 'down' | 'not_configured';

/** The state of this process's queue worker, as the health checks report it. */
export type VisiwiseWorkerHealth = 'running' | 'stopped' | 'not_in_this_process';

/**
 * What the health checks report under their key; `status` is Terminus's. A type alias (not an
 * interface) so that it is assignable to Terminus's `HealthIndicatorResult`.
 */
export type VisiwiseHealthDetails = {
  /** `down` fails the check (Terminus then answers 503). */
  readonly status: 'up' | 'down';
  /** The delivery mode. */
  readonly mode: VisiwiseHandlingMode;
  /** The Redis connection. */
  readonly redis: VisiwiseRedisHealth;
  /** This process's queue worker. */
  readonly worker: VisiwiseWorkerHealth;
  /**
   * Events in the dead letters; `null` when not counted (in the liveness check, while Redis is
   * down, or when the count failed: see `deadLettersError`).
   */
  readonly deadLetters: number | null;
  /** Why the dead letters could not be counted. */
  readonly deadLettersError?: string;
  /** Why the check is down. */
  readonly message?: string;
};

/** A health check result in Terminus's shape: `{ [key]: { status, ...details } }`. */
export type VisiwiseHealthResult<Key extends string = 'visiwise'> = Record<
  Key,
  VisiwiseHealthDetails
>;

function redisHealth(up: boolean | undefined): VisiwiseRedisHealth {
  return up === undefined ? 'not_configured' : up ? 'up' : 'down';
}

function workerHealth(running: boolean | undefined): VisiwiseWorkerHealth {
  return running === undefined ? 'not_in_this_process' : running ? 'running' : 'stopped';
}

/**
 * Health checks of the webhook module for `@nestjs/terminus` (11 or later). Inject it where your
 * `HealthCheckService` is used:
 *
 * ```ts
 * @Get('health/ready') @HealthCheck()
 * ready() { return this.health.check([() => this.visiwise.isHealthy()]); }
 *
 * @Get('health/live') @HealthCheck()
 * live() { return this.health.check([() => this.visiwise.isLive()]); }
 * ```
 *
 * It returns Terminus's result objects itself instead of importing Terminus, so the package does
 * not load Terminus and works with whichever copy the application has.
 */
@Injectable()
export class VisiwiseHealthIndicator {
  constructor(@Inject(VISIWISE_HEALTH_SOURCE) private readonly source: VisiwiseHealthSource) {}

  /**
   * Readiness: down while the configured Redis does not answer, in queue mode while this process's
   * worker is stopped, and once shutdown began (deliveries would then be answered 503, or queued
   * with no one to handle them). Reports the dead-letter count. Use it for Kubernetes'
   * readinessProbe.
   */
  async isHealthy<const Key extends string = 'visiwise'>(
    key: Key = 'visiwise' as Key,
  ): Promise<VisiwiseHealthResult<Key>> {
    const redis = redisHealth(this.source.redisUp());
    const worker = workerHealth(this.source.workerRunning());
    const problems = [
      ...(redis === 'down' ? ['Redis does not answer'] : []),
      ...(worker === 'stopped' ? ['the queue worker is stopped'] : []),
      ...(this.source.accepting() ? [] : ['shutting down']),
    ];
    // Counting needs Redis: while it is down, asking would only make the probe time out.
    const count = redis === 'down' ? { deadLetters: null } : await this.countDeadLetters();
    const details: VisiwiseHealthDetails = {
      status: problems.length === 0 ? 'up' : 'down',
      mode: this.source.mode,
      redis,
      worker,
      ...count,
      ...(problems.length > 0 ? { message: `${problems.join('; ')}.` } : {}),
    };
    return { [key]: details } as VisiwiseHealthResult<Key>;
  }

  /**
   * Liveness: always up, with the state of Redis and the worker as details. A Redis outage must
   * not fail it: Kubernetes would restart every pod at once, which cures nothing (the module
   * reconnects by itself). It touches no server, so it answers at once. Use it for Kubernetes'
   * livenessProbe.
   */
  isLive<const Key extends string = 'visiwise'>(
    key: Key = 'visiwise' as Key,
  ): Promise<VisiwiseHealthResult<Key>> {
    const details: VisiwiseHealthDetails = {
      status: 'up',
      mode: this.source.mode,
      redis: redisHealth(this.source.redisUp()),
      worker: workerHealth(this.source.workerRunning()),
      deadLetters: null,
    };
    return Promise.resolve({ [key]: details } as VisiwiseHealthResult<Key>);
  }

  private async countDeadLetters(): Promise<
    Pick<VisiwiseHealthDetails, 'deadLetters' | 'deadLettersError'>
  > {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadLetters = await Promise.race([
        this.source.deadLetterCount(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(deadLetterCountTimeoutMessage(DEAD_LETTER_COUNT_TIMEOUT_MS)));
          }, DEAD_LETTER_COUNT_TIMEOUT_MS);
        }),
      ]);
      return { deadLetters };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { deadLetters: null, deadLettersError: deadLetterCountFailedMessage(reason) };
    } finally {
      clearTimeout(timer);
    }
  }
}
