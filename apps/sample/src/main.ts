import { Logger } from '@nestjs/common';
import { adapterFromEnv, createSampleApp } from './create-sample-app';
import { generatedSecretBanner, resolveSampleSecret } from './sample-secret';

async function bootstrap(): Promise<void> {
  const secret = resolveSampleSecret(process.env);
  process.env['VISIWISE_WEBHOOK_SECRET'] = secret.secret;
  const port = Number(process.env['PORT'] ?? 3000);
  const adapter = adapterFromEnv(process.env);

  const app = await createSampleApp(adapter);
  await app.listen(port, '0.0.0.0');
  const url = `http://localhost:${port}/webhooks/visiwise`;
  const logger = new Logger('Sample');
  const delivery = process.env['VISIWISE_DELIVERY'] ?? 'inline';
  logger.log(`Receiving Visiwise webhooks at POST ${url} (${adapter}, ${delivery} delivery)`);
  if (secret.source === 'generated') {
    // A throwaway development secret: printing it is the point (never done for a configured one).
    console.log(generatedSecretBanner(secret.secret, url));
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
