import { buildShipmentTracked, signVisiwiseWebhook } from 'nestjs-visiwise-webhook/testing';

/*
 * Sends one signed shipment.tracked event to a running receiver:
 *   VISIWISE_WEBHOOK_SECRET=whsec_... node dist/apps/sample/send-sample-event.js [url]
 * Exit code 0 only when the receiver acknowledged it (2xx). The package's own CLI does the same
 * and more: `npx visiwise-webhook send shipment.tracked --url <url>` (docs/CLI.md).
 */
async function main(): Promise<void> {
  const url = process.argv[2] ?? 'http://localhost:3000/webhooks/visiwise';
  const secret = process.env['VISIWISE_WEBHOOK_SECRET'];
  if (secret === undefined || secret === '') {
    throw new Error('Set VISIWISE_WEBHOOK_SECRET to the secret the receiver uses (whsec_...).');
  }
  // The package's realistic fixture: an MSC container in transit, Shanghai to Rotterdam.
  const body = JSON.stringify(buildShipmentTracked({}, { timestamp: new Date() }));
  const headers = signVisiwiseWebhook({ secret, payload: body });
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  const ms = (performance.now() - started).toFixed(1);
  console.log(`${response.status} in ${ms} ms (svix-id ${headers['svix-id']}): ${text}`);
  if (!response.ok) {
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
