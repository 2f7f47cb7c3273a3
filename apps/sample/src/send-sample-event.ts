import { signVisiwiseWebhook } from 'nestjs-visiwise-webhook/testing';

/*
 * Sends one signed shipment.tracked event to a running receiver:
 *   VISIWISE_WEBHOOK_SECRET=whsec_... node dist/apps/sample/send-sample-event.js [url]
 * Exit code 0 only when the receiver acknowledged it (2xx).
 */
async function main(): Promise<void> {
  const url = process.argv[2] ?? 'http://localhost:3000/webhooks/visiwise';
  const secret = process.env['VISIWISE_WEBHOOK_SECRET'];
  if (secret === undefined || secret === '') {
    throw new Error('Set VISIWISE_WEBHOOK_SECRET to the secret the receiver uses (whsec_...).');
  }
  const body = JSON.stringify({
    type: 'shipment.tracked',
    timestamp: new Date().toISOString(),
    data: {
      id: '184532',
      trackingReference: 'MSCU1234566',
      containerTracking: {
        id: '902211',
        number: 'MSCU1234566',
        trackStatus: { status: 'Track-Succeeded', exception: null },
        shippingLine: { name: 'MSC', keyname: 'MSC' },
        arrivalTime: { value: '2025-10-21T14:00:00Z', isActual: false },
        lastMovementEventDescription: 'Loaded on Vessel',
        portOfLoading: { unlocodeName: 'Shanghai' },
        portOfDischarge: { unlocodeName: 'Rotterdam' },
      },
      blTracking: null,
      bookingTracking: null,
      tags: [{ name: 'PO-4471' }],
    },
  });
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
