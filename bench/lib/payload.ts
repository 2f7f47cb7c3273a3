import { createHmac, randomBytes } from 'node:crypto';

export const KIB = 1024;

/**
 * A `shipment.tracked` envelope of exactly `sizeBytes` bytes (ASCII JSON): a bill of lading with as
 * many containers as fit, then padding. The shape follows docs/EVENTS.md, so the module's parser
 * does the work it does for real deliveries (a large bill of lading is the large case).
 */
export function shipmentTrackedBody(sizeBytes: number): Buffer {
  const status = { status: 'Track-Succeeded', exception: null };
  const arrivalTime = { value: '2025-10-21T14:00:00Z', isActual: false };
  const container = (index: number): object => ({
    id: String(900_000 + index),
    number: `MSCU${String(1_000_000 + index)}`,
    trackStatus: status,
    arrivalTime,
    lastMovementEventDescription: 'Loaded on Vessel',
    currentVessel: { name: 'MSC GULSUN', position: { latitude: 31.2304, longitude: 121.4737 } },
  });
  const containers: object[] = [];
  const envelope = (note: string): string =>
    JSON.stringify({
      type: 'shipment.tracked',
      timestamp: '2025-09-18T07:42:13.512Z',
      data: {
        id: '184532',
        trackingReference: 'MEDUJ0618622',
        blTracking: {
          id: '77120',
          number: 'MEDUJ0618622',
          trackStatus: status,
          shippingLine: { name: 'MSC', keyname: 'MSC', scac: 'MSCU' },
          portOfLoading: { unlocodeName: 'Shanghai', unlocode: 'CNSHA' },
          portOfDischarge: { unlocodeName: 'Rotterdam', unlocode: 'NLRTM' },
          arrivalTime,
          containers,
        },
        note,
      },
    });
  while (envelope('').length < sizeBytes) containers.push(container(containers.length));
  if (envelope('').length > sizeBytes) containers.pop();
  const text = envelope('x'.repeat(Math.max(0, sizeBytes - envelope('').length)));
  if (text.length !== sizeBytes) throw new Error(`no body of exactly ${String(sizeBytes)} bytes`);
  return Buffer.from(text, 'latin1');
}

/** A fresh `whsec_` secret (24 random bytes, like Svix's). */
export const benchSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** The HMAC key of a `whsec_` secret. */
export const secretKey = (secret: string): Buffer =>
  Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

type SvixHeaders = Record<string, string> &
  Record<`svix-${'id' | 'timestamp' | 'signature'}`, string>;

/**
 * The headers of a Svix delivery of `body` as `id`, now: the sender's and the three that sign it.
 * The signature, `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), is written here
 * independently of the library, so that the benchmark cannot agree with a bug in it.
 */
export function svixHeaders(key: Buffer, id: string, body: Buffer): SvixHeaders {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const hmac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body);
  return {
    'content-type': 'application/json',
    'user-agent': 'Svix-Webhooks/1.62.0 (sender-bench; +https://www.svix.com/http-sender/)',
    accept: '*/*',
    'accept-encoding': 'gzip, deflate',
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': `v1,${hmac.digest('base64')}`,
  };
}

/** An id shaped like Svix's (`msg_` + 27 characters), unique for a prefix and a counter. */
export const svixId = (prefix: string, counter: number): string =>
  `msg_${prefix}${counter.toString(36).padStart(27 - prefix.length, '0')}`;
