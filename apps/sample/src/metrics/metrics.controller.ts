import { Controller, Get, Header } from '@nestjs/common';
import { register } from 'prom-client';

/**
 * Prometheus scrape endpoint: prom-client's default registry, where the webhook module registers
 * its `visiwise_webhook_*` metrics. An app that already serves /metrics (e.g. with
 * @willsoto/nestjs-prometheus) gets them there without this controller.
 */
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', register.contentType)
  scrape(): Promise<string> {
    return register.metrics();
  }
}
