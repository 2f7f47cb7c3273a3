import { createHmac, randomBytes } from 'node:crypto';

export const KIB = 1024;

/**
 * A `shipment.tracked` envelope of exactly `sizeBytes` bytes (ASCII JSON): a bill of lading with as
 * many containers as fit, then a padding field. The shape follows docs/EVENTS.md, so the module's
 * parser does the work it does for real deliveries (a large bill of lading is the large case).
 */
export function shipmentTrackedBody(sizeBytes: number): Buffer {
  const containers: Record<string, unknown>[] = [];
  const envelope = (padding: string): string =>
    JSON.stringify({
      type: 'shipment.tracked',
      timestamp: '2025-09-18T07:42:13.512Z',
      data: {
        id: '184532',
        trackingReference: 'MEDUJ0618622',
        blTracking: {
          id: '77120',
          number: 'MEDUJ0618622',
          trackStatus: { status: 'Track-Succeeded', exception: null },
          shippingLine: { name: 'MSC', keyname: 'MSC', scac: 'MSCU' },
          portOfLoading: { unlocodeName: 'Shanghai', unlocode: 'CNSHA' },
          portOfDischarge: { unlocodeName: 'Rotterdam', unlocode: 'NLRTM' },
          arrivalTime: { value: '2025-10-21T14:00:00Z', isActual: false },
          containers,
        },
        tags: [{ name: 'PO-4471' }],
        note: padding,
      },
    });
  const container = (index: number): Record<string, unknown> => ({
    id: String(900_000 + index),
    number: `MSCU${String(1_000_000 + index).padStart(7, '0')}`,
    trackStatus: { status: 'Track-Succeeded', exception: null },
    arrivalTime: { value: '2025-10-21T14:00:00Z', isActual: false },
    lastMovementEventDescription: 'Loaded on Vessel',
    currentVessel: {
      name: 'MSC GULSUN',
      position: { latitude: 31.2304, longitude: 121.4737, actualSnapTime: '2025-09-18T06:00:00Z' },
    },
  });
  for (let index = 0; Buffer.byteLength(envelope('')) < sizeBytes; index++) {
    containers.push(container(index));
  }
  if (Buffer.byteLength(envelope('')) > sizeBytes) {
    containers.pop();
  }
  const text = envelope('x'.repeat(Math.max(0, sizeBytes - Buffer.byteLength(envelope('')))));
  if (Buffer.byteLength(text) !== sizeBytes) {
    throw new Error(`cannot build a body of exactly ${sizeBytes} bytes`);
  }
  return Buffer.from(text, 'utf8');
}

/** A fresh `whsec_` secret (24 random bytes, like Svix's). */
export function benchSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The HMAC key of a `whsec_` secret. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/**
 * The `svix-signature` value Svix sends: `v1,` + base64(HMAC-SHA256(key, `${id}.${ts}.${body}`)).
 * Written here independently of the library, so the benchmark cannot agree with a bug in it.
 */
export function svixSignature(key: Buffer, id: string, timestamp: string, body: Buffer): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;
}

/** An id shaped like Svix's (`msg_` + 27 characters), unique for a prefix and a counter. */
export function svixId(prefix: string, counter: number): string {
  return `msg_${prefix}${counter.toString(36).padStart(27 - prefix.length, '0')}`;
}

/** The headers Svix sends besides the three signature headers. */
export const SVIX_SENDER_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'user-agent': 'Svix-Webhooks/1.62.0 (sender-bench; +https://www.svix.com/http-sender/)',
  accept: '*/*',
  'accept-encoding': 'gzip, deflate',
};
