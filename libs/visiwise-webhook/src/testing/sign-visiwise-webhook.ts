import { KeyObject, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { decodeSigningSecrets } from '../signature/signing-secret';

/** Input of {@link signVisiwiseWebhook}. */
export interface SignVisiwiseWebhookInput {
  /**
   * The endpoint secret (`whsec_...`) the receiver is configured with: signs `v1` (HMAC). Give
   * this or `privateKey`, or both (the header then lists both signatures, as during a migration).
   */
  secret?: string;
  /** An Ed25519 private key: signs `v1a` (see {@link generateVisiwiseEd25519KeyPair}). */
  privateKey?: KeyObject;
  /**
   * The body to sign. A string or Buffer is signed as is; an object is signed as
   * `JSON.stringify(payload)`, which is what supertest's `.send(object)` transmits.
   */
  payload: unknown;
  /** The `svix-id`. @default a random `msg_...` id */
  id?: string;
  /** The signing time, as a Date or Unix seconds. @default now */
  timestamp?: Date | number;
}

/**
 * The three headers of a signed delivery. A type alias (not an interface) so that it is assignable
 * to header records such as the verifier's and supertest's `set()` parameter.
 */
export type VisiwiseWebhookHeaders = {
  'svix-id': string;
  'svix-timestamp': string;
  'svix-signature': string;
};

/** The exact body string or bytes that {@link signVisiwiseWebhook} signs for a payload. */
export function serializeVisiwisePayload(payload: unknown): string | Buffer {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    return payload;
  }
  return JSON.stringify(payload);
}

/**
 * Signs a payload the way Visiwise (through Svix) does, and returns the three `svix-*` headers to
 * send with it. For tests and local development: post the same body with these headers and the
 * module accepts it.
 *
 * ```ts
 * const payload = { type: 'shipment.tracked', data: { trackingReference: 'MSCU1234566' } };
 * await request(app.getHttpServer()).post('/webhooks/visiwise')
 *   .set(signVisiwiseWebhook({ secret, payload })).send(payload).expect(200);
 * ```
 *
 * Throws VisiwiseConfigurationError for an unusable secret.
 */
export function signVisiwiseWebhook(input: SignVisiwiseWebhookInput): VisiwiseWebhookHeaders {
  const id = input.id ?? `msg_${randomBytes(16).toString('hex')}`;
  const seconds =
    input.timestamp === undefined
      ? Math.floor(Date.now() / 1000)
      : input.timestamp instanceof Date
        ? Math.floor(input.timestamp.getTime() / 1000)
        : Math.floor(input.timestamp);
  const timestamp = String(seconds);
  const content = `${id}.${timestamp}.`;
  const body = serializeVisiwisePayload(input.payload);
  const signatures: string[] = [];
  if (input.secret !== undefined) {
    const [key] = decodeSigningSecrets(input.secret);
    const digest = createHmac('sha256', key as Buffer)
      .update(content)
      .update(body)
      .digest('base64');
    signatures.push(`v1,${digest}`);
  }
  if (input.privateKey !== undefined) {
    const data = Buffer.concat([Buffer.from(content, 'utf8'), Buffer.from(body)]);
    signatures.push(`v1a,${sign(null, data, input.privateKey).toString('base64')}`);
  }
  if (signatures.length === 0) {
    throw new TypeError('signVisiwiseWebhook needs a `secret` (whsec_...) or a `privateKey`.');
  }
  return { 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': signatures.join(' ') };
}

/** Creates a random `whsec_` secret for tests and local development (24 random bytes, like Svix). */
export function generateVisiwiseWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Creates an Ed25519 key pair for testing asymmetric (`v1a`) signatures: `publicKey` is the
 * `whpk_...` string the receiver is configured with, `privateKey` signs with
 * {@link signVisiwiseWebhook}.
 */
export function generateVisiwiseEd25519KeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // The raw 32-byte key is the tail of the DER SubjectPublicKeyInfo.
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { publicKey: `whpk_${raw.toString('base64')}`, privateKey };
}
