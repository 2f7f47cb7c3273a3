import {
  Controller,
  Get,
  type INestApplication,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  TerminusModule,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { VisiwiseHandlingMode } from './delivery-answer.interface';
import { DEAD_LETTER_COUNT_TIMEOUT_MS, VISIWISE_HEALTH_SOURCE } from './observability.constants';
import {
  deadLetterCountFailedMessage,
  deadLetterCountTimeoutMessage,
} from './observability.messages';
import type { VisiwiseHealthSource } from './visiwise-health-source.interface';
import { VisiwiseHealthIndicator } from './visiwise-health.indicator';

/** A health source whose state the test sets, as the delivery runtime would report it. */
class FakeRuntime implements VisiwiseHealthSource {
  redis: boolean | undefined = true;
  worker: boolean | undefined = true;
  draining = false;
  deadLetters: () => Promise<number> = () => Promise.resolve(3);
  countCalls = 0;

  constructor(readonly mode: VisiwiseHandlingMode) {}

  redisUp(): boolean | undefined {
    return this.redis;
  }
  workerRunning(): boolean | undefined {
    return this.worker;
  }
  accepting(): boolean {
    return !this.draining;
  }
  deadLetterCount(): Promise<number> {
    this.countCalls++;
    return this.deadLetters();
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly visiwise: VisiwiseHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.visiwise.isHealthy()]);
  }

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.visiwise.isLive('webhooks')]);
  }
}

describe('VisiwiseHealthIndicator with Terminus', () => {
  let app: INestApplication;
  let runtime: FakeRuntime;
  let health: HealthCheckService;
  let indicator: VisiwiseHealthIndicator;

  async function start(mode: VisiwiseHandlingMode): Promise<void> {
    runtime = new FakeRuntime(mode);
    const moduleRef = await Test.createTestingModule({
      // logger: false: the failing checks below are expected; Terminus would log each one.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [VisiwiseHealthIndicator, { provide: VISIWISE_HEALTH_SOURCE, useValue: runtime }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    health = app.get(HealthCheckService);
    indicator = app.get(VisiwiseHealthIndicator);
  }

  afterEach(async () => {
    await app.close();
  });

  async function failure(checks: HealthIndicatorFunction[]): Promise<unknown> {
    try {
      await health.check(checks);
    } catch (error) {
      expect(error).toBeInstanceOf(ServiceUnavailableException);
      return (error as ServiceUnavailableException).getResponse();
    }
    throw new Error('expected the health check to fail');
  }

  it('is ready in queue mode while Redis answers and the worker runs, with the dead-letter count', async () => {
    await start('queue');
    await expect(health.check([() => indicator.isHealthy()])).resolves.toEqual({
      status: 'ok',
      info: {
        visiwise: { status: 'up', mode: 'queue', redis: 'up', worker: 'running', deadLetters: 3 },
      },
      error: {},
      details: {
        visiwise: { status: 'up', mode: 'queue', redis: 'up', worker: 'running', deadLetters: 3 },
      },
    });
  });

  it('is not ready while Redis is down, and does not wait for a count that needs Redis', async () => {
    await start('queue');
    runtime.redis = false;
    runtime.worker = false;
    expect(await failure([() => indicator.isHealthy('webhooks')])).toEqual({
      status: 'error',
      info: {},
      error: {
        webhooks: {
          status: 'down',
          mode: 'queue',
          redis: 'down',
          worker: 'stopped',
          deadLetters: null,
          message: 'Redis does not answer; the queue worker is stopped.',
        },
      },
      details: expect.any(Object),
    });
    expect(runtime.countCalls).toBe(0);
  });

  it('is not ready when the queue worker stopped though Redis answers', async () => {
    await start('queue');
    runtime.worker = false;
    expect(await failure([() => indicator.isHealthy()])).toMatchObject({
      error: {
        visiwise: {
          status: 'down',
          redis: 'up',
          worker: 'stopped',
          deadLetters: 3,
          message: 'the queue worker is stopped.',
        },
      },
    });
  });

  it('is not ready once shutdown began, so the load balancer stops sending deliveries', async () => {
    await start('inline');
    runtime.redis = undefined;
    runtime.worker = undefined;
    runtime.draining = true;
    expect(await failure([() => indicator.isHealthy()])).toMatchObject({
      error: { visiwise: { status: 'down', message: 'shutting down.' } },
    });
  });

  it('is ready without Redis or worker when the mode needs neither', async () => {
    await start('inline');
    runtime.redis = undefined;
    runtime.worker = undefined;
    runtime.deadLetters = () => Promise.resolve(0);
    const result = await health.check([() => indicator.isHealthy()]);
    expect(result.details).toEqual({
      visiwise: {
        status: 'up',
        mode: 'inline',
        redis: 'not_configured',
        worker: 'not_in_this_process',
        deadLetters: 0,
      },
    });
  });

  it('stays ready when only the dead-letter count fails or hangs, and says so', async () => {
    await start('queue');
    runtime.deadLetters = () => Promise.reject(new Error('READONLY You cannot write'));
    expect((await health.check([() => indicator.isHealthy()])).details['visiwise']).toMatchObject({
      status: 'up',
      deadLetters: null,
      deadLettersError: deadLetterCountFailedMessage('READONLY You cannot write'),
    });

    runtime.deadLetters = () => new Promise(() => undefined);
    const started = Date.now();
    expect((await health.check([() => indicator.isHealthy()])).details['visiwise']).toMatchObject({
      status: 'up',
      deadLettersError: deadLetterCountFailedMessage(
        deadLetterCountTimeoutMessage(DEAD_LETTER_COUNT_TIMEOUT_MS),
      ),
    });
    expect(Date.now() - started).toBeLessThan(DEAD_LETTER_COUNT_TIMEOUT_MS + 400);
  });

  it('stays live while Redis is down and the worker stopped, reporting both, touching nothing', async () => {
    await start('queue');
    runtime.redis = false;
    runtime.worker = false;
    const result = await health.check([() => indicator.isLive()]);
    expect(result.status).toBe('ok');
    expect(result.details).toEqual({
      visiwise: {
        status: 'up',
        mode: 'queue',
        redis: 'down',
        worker: 'stopped',
        deadLetters: null,
      },
    });
    expect(runtime.countCalls).toBe(0);
  });

  it('answers the probes over HTTP: readiness 503 and liveness 200 during a Redis outage', async () => {
    await start('queue');
    await request(app.getHttpServer()).get('/health/ready').expect(200);
    runtime.redis = false;
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(ready.body.error.visiwise.redis).toBe('down');
    const live = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(live.body.info.webhooks).toMatchObject({ status: 'up', redis: 'down' });
  });
});
