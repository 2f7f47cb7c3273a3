import { Logger } from '@nestjs/common';
import { adapterFromEnv, createSampleApp } from './create-sample-app';
import { endpointsFromEnv } from './endpoint-options';
import { generatedSecretBanner, resolveSampleSecret } from './sample-secret';

async function bootstrap(): Promise<void> {
  // Named endpoints bring their own secrets; the single endpoint needs VISIWISE_WEBHOOK_SECRET.
  const endpoints = endpointsFromEnv(process.env['VISIWISE_ENDPOINTS']);
  const secret = endpoints === undefined ? resolveSampleSecret(process.env) : undefined;
  if (secret !== undefined) {
    process.env['VISIWISE_WEBHOOK_SECRET'] = secret.secret;
  }
  const port = Number(process.env['PORT'] ?? 3000);
  const adapter = adapterFromEnv(process.env);

  const app = await createSampleApp(adapter);
  await app.listen(port, '0.0.0.0');
  const url = `http://localhost:${port}/webhooks/visiwise`;
  const logger = new Logger('Sample');
  const delivery = process.env['VISIWISE_DELIVERY'] ?? 'inline';
  const urls =
    endpoints === undefined ? [url] : Object.keys(endpoints).map((name) => `${url}/${name}`);
  for (const endpointUrl of urls) {
    logger.log(
      `Receiving Visiwise webhooks at POST ${endpointUrl} (${adapter}, ${delivery} delivery)`,
    );
  }
  if (secret?.source === 'generated') {
    // A throwaway development secret: printing it is the point (never done for a configured one).
    console.log(generatedSecretBanner(secret.secret, url));
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
