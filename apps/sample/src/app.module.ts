import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { VisiwiseWebhookModule } from 'nestjs-visiwise-webhook';
import { deliveryOptionsFromEnv } from './delivery-options';
import { endpointsFromEnv } from './endpoint-options';
import { inboxOptionsFromEnv } from './inbox-options';
import { inboxPageFromEnv } from './inbox/inbox-page-options';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { ShipmentsModule } from './shipments/shipments.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    EventEmitterModule.forRoot(),
    // The secret comes from VISIWISE_WEBHOOK_SECRET (see sample-secret.ts for the development
    // default); the delivery mode from VISIWISE_DELIVERY, REDIS_URL and DATABASE_URL
    // (delivery-options.ts).
    // VISIWISE_ENDPOINTS (eu=whsec_...,us=whsec_...) mounts one endpoint per name instead, at
    // /webhooks/visiwise/<name>, each with its own secret (endpoint-options.ts). DATABASE_URL
    // records every delivery in PostgreSQL (the inbox, inbox-options.ts).
    // Metrics go to prom-client's default registry (served at /metrics), spans to whatever
    // OpenTelemetry SDK the process registers: both are on because the packages are installed.
    VisiwiseWebhookModule.forRootAsync({
      // GET /visiwise/inbox behind Authorization: Bearer <VISIWISE_INBOX_TOKEN>, with DATABASE_URL.
      ...inboxPageFromEnv(process.env),
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        const endpoints = endpointsFromEnv(config.get<string>('VISIWISE_ENDPOINTS'));
        return {
          ...(endpoints === undefined
            ? { secret: config.getOrThrow<string>('VISIWISE_WEBHOOK_SECRET') }
            : { endpoints }),
          ...deliveryOptionsFromEnv({
            VISIWISE_DELIVERY: config.get<string>('VISIWISE_DELIVERY'),
            REDIS_URL: config.get<string>('REDIS_URL'),
            DATABASE_URL: config.get<string>('DATABASE_URL'),
            VISIWISE_QUEUE_NAME: config.get<string>('VISIWISE_QUEUE_NAME'),
            VISIWISE_SHUTDOWN_TIMEOUT_MS: config.get<string>('VISIWISE_SHUTDOWN_TIMEOUT_MS'),
          }),
          // After the delivery options: its `database` (with the schema) is the one used.
          ...inboxOptionsFromEnv({
            DATABASE_URL: config.get<string>('DATABASE_URL'),
            VISIWISE_DATABASE_SCHEMA: config.get<string>('VISIWISE_DATABASE_SCHEMA'),
          }),
        };
      },
    }),
    TerminusModule,
    ShipmentsModule,
  ],
  controllers: [HealthController, MetricsController],
})
export class AppModule {}
