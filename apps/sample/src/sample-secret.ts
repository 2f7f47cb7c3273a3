import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';

export type SampleSecret =
  | { readonly source: 'environment'; readonly secret: string }
  | { readonly source: 'generated'; readonly secret: string };

/**
 * The secret of the sample app: VISIWISE_WEBHOOK_SECRET if set; otherwise, outside production, a
 * fresh development secret (so `npm start` works on a fresh clone with no setup); in production,
 * an error, because a generated secret would silently reject every real delivery.
 */
export function resolveSampleSecret(env: NodeJS.ProcessEnv): SampleSecret {
  const configured = env['VISIWISE_WEBHOOK_SECRET'];
  if (configured !== undefined && configured.trim() !== '') {
    return { source: 'environment', secret: configured };
  }
  if (env['NODE_ENV'] === 'production') {
    throw new Error(
      'VISIWISE_WEBHOOK_SECRET is not set. In production the sample refuses to start without the ' +
        'signing secret of your Visiwise webhook endpoint (whsec_...).',
    );
  }
  return { source: 'generated', secret: generateVisiwiseWebhookSecret() };
}

/** What the sample prints when it generated a development secret. */
export function generatedSecretBanner(secret: string, url: string): string {
  return [
    '',
    'VISIWISE_WEBHOOK_SECRET is not set: generated a development secret for this run:',
    `  ${secret}`,
    'Send a signed sample event from another terminal:',
    `  VISIWISE_WEBHOOK_SECRET='${secret}' npm run send-sample -- ${url}`,
    `then list what the handler received: curl ${url.replace(/\/webhooks\/visiwise$/, '')}/shipments`,
    '',
  ].join('\n');
}
