import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { VisiwiseWebhookModule } from 'nestjs-visiwise-webhook';
import { HealthController } from './health/health.controller';
import { ShipmentsModule } from './shipments/shipments.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    EventEmitterModule.forRoot(),
    // The secret comes from VISIWISE_WEBHOOK_SECRET (see sample-secret.ts for the development default).
    VisiwiseWebhookModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        secret: config.getOrThrow<string>('VISIWISE_WEBHOOK_SECRET'),
      }),
    }),
    ShipmentsModule,
  ],
  controllers: [HealthController],
})
export class AppModule {}
