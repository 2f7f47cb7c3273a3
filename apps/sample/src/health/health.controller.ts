import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { VisiwiseHealthIndicator } from 'nestjs-visiwise-webhook';

/**
 * Kubernetes-style probes. Readiness (`/health`, `/health/ready`) fails while the webhook module's
 * Redis does not answer or its queue worker is stopped, so the load balancer sends deliveries to
 * other pods (Svix retries what got a 503 anyway). Liveness (`/health/live`) never fails for
 * Redis: every pod loses Redis at once in an outage, and restarting them all cures nothing.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly visiwise: VisiwiseHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.ready();
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.visiwise.isHealthy()]);
  }

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.visiwise.isLive()]);
  }
}
