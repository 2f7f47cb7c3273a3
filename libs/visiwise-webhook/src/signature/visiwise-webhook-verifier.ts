import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_SECONDS,
  ID_HEADERS,
  MAX_ID_LENGTH,
  MAX_SIGNATURES_PARSED,
  SHA256_BYTES,
  SIGNATURE_HEADERS,
  TIMESTAMP_HEADERS,
} from './signature.constants';
import {
  invalidBodyTypeMessage,
  invalidIdMessage,
  invalidTimestampMessage,
  invalidToleranceMessage,
  missingHeadersMessage,
  noSignatureMatchedMessage,
  timestampTooNewMessage,
  timestampTooOldMessage,
} from './signature.messages';
import { decodeSigningSecrets } from './signing-secret';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';
import { VisiwiseSignatureError } from './visiwise-signature.error';

/** Options of {@link VisiwiseWebhookVerifier}. */
export interface VisiwiseWebhookVerifierOptions {
  /**
   * The endpoint's signing secret(s), `whsec_` prefix optional. Several secrets let a receiver
   * accept both the old and the new secret while a rotation is rolled out.
   */
  secrets: string | readonly string[];
  /**
   * How far the signed `svix-timestamp` may be from the server clock, in seconds, in both
   * directions. Older deliveries are rejected as replays.
   * @default 300
   */
  toleranceSeconds?: number;
}

/** Per-call options of {@link VisiwiseWebhookVerifier.verify}. */
export interface VisiwiseVerifyOptions {
  /** The time to check the timestamp against. @default new Date() */
  now?: Date;
}

/** What a successful verification proves: this delivery id and timestamp were signed with a configured secret. */
export interface VerifiedVisiwiseDelivery {
  /** The `svix-id`: stable across Svix's retries of the same message, so it is the idempotency key. */
  readonly id: string;
  /** The signed `svix-timestamp` of this delivery attempt. */
  readonly timestamp: Date;
}

/** Header bag as Node, Express and Fastify expose it; names are matched case-insensitively. */
export type VisiwiseWebhookHeaderBag = Readonly<
  Record<string, string | readonly string[] | undefined>
>;

const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
// Printable ASCII without space: Svix ids are `msg_` + base62, and anything else is not ours.
const ID_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Verifies Visiwise webhook deliveries as Svix signs them (the Standard Webhooks `v1` scheme):
 * `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${rawBody}`)), where the key is the base64
 * decoding of the `whsec_` secret. It checks the three headers (svix-* first, then webhook-*), the
 * timestamp window and every listed signature in constant time, on the raw bytes as received.
 *
 * Free of NestJS: usable in any Node.js code. Construction validates the secrets and throws
 * {@link VisiwiseConfigurationError} if one is unusable; `verify()` either returns the verified
 * delivery or throws {@link VisiwiseSignatureError}, whatever the input.
 */
export class VisiwiseWebhookVerifier {
  // ES private fields: not enumerable, not shown by util.inspect or JSON.stringify.
  readonly #keys: readonly Buffer[];
  readonly #toleranceSeconds: number;

  constructor(options: VisiwiseWebhookVerifierOptions) {
    const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    if (
      typeof toleranceSeconds !== 'number' ||
      !Number.isFinite(toleranceSeconds) ||
      toleranceSeconds < 0
    ) {
      throw new VisiwiseConfigurationError(invalidToleranceMessage());
    }
    this.#keys = decodeSigningSecrets(options.secrets);
    this.#toleranceSeconds = toleranceSeconds;
  }

  /** How many secrets this verifier accepts. */
  get secretCount(): number {
    return this.#keys.length;
  }

  /** The replay window in seconds. */
  get toleranceSeconds(): number {
    return this.#toleranceSeconds;
  }

  /**
   * Verifies one delivery.
   * @param rawBody the exact bytes received (a string is taken as UTF-8). Never re-serialised JSON.
   * @param headers the request headers; names are matched case-insensitively.
   * @returns the verified delivery id and timestamp.
   * @throws VisiwiseSignatureError when the delivery is not authentic or not fresh.
   */
  verify(
    rawBody: Buffer | string,
    headers: VisiwiseWebhookHeaderBag,
    options: VisiwiseVerifyOptions = {},
  ): VerifiedVisiwiseDelivery {
    try {
      return this.verifyOrThrow(rawBody, headers, options);
    } catch (error) {
      if (error instanceof VisiwiseSignatureError) {
        throw error;
      }
      // Hostile input must never surface as anything but the typed error.
      throw new VisiwiseSignatureError('invalid_signature', noSignatureMatchedMessage());
    }
  }

  private verifyOrThrow(
    rawBody: unknown,
    headers: unknown,
    options: VisiwiseVerifyOptions,
  ): VerifiedVisiwiseDelivery {
    const bag = normaliseHeaders(headers);
    const id = pickHeader(bag, ID_HEADERS);
    const timestamp = pickHeader(bag, TIMESTAMP_HEADERS);
    const signatures = pickHeader(bag, SIGNATURE_HEADERS, ' ');
    const missing = [
      id === undefined || id === '' ? 'svix-id' : undefined,
      timestamp === undefined || timestamp === '' ? 'svix-timestamp' : undefined,
      signatures === undefined || signatures.trim() === '' ? 'svix-signature' : undefined,
    ].filter((name): name is string => name !== undefined);
    if (missing.length > 0 || id === undefined || timestamp === undefined || !signatures) {
      throw new VisiwiseSignatureError('missing_headers', missingHeadersMessage(missing));
    }
    if (id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
      throw new VisiwiseSignatureError('missing_headers', invalidIdMessage(MAX_ID_LENGTH));
    }
    if (!TIMESTAMP_PATTERN.test(timestamp)) {
      throw new VisiwiseSignatureError('invalid_timestamp', invalidTimestampMessage());
    }
    const signedSeconds = Number(timestamp);
    // An invalid Date (NaN) would make both window comparisons false and skip replay protection.
    const given = options.now instanceof Date ? options.now.getTime() : NaN;
    const now = Number.isFinite(given) ? given : Date.now();
    const nowSeconds = Math.floor(now / 1000);
    if (nowSeconds - signedSeconds > this.#toleranceSeconds) {
      throw new VisiwiseSignatureError(
        'timestamp_too_old',
        timestampTooOldMessage(this.#toleranceSeconds),
      );
    }
    if (signedSeconds - nowSeconds > this.#toleranceSeconds) {
      throw new VisiwiseSignatureError(
        'timestamp_too_new',
        timestampTooNewMessage(this.#toleranceSeconds),
      );
    }
    const body = toBuffer(rawBody);
    const candidates = parseV1Signatures(signatures);
    if (candidates.length > 0) {
      const prefix = `${id}.${timestamp}.`;
      for (const key of this.#keys) {
        const expected = createHmac('sha256', key).update(prefix).update(body).digest();
        // Check every candidate: the number of comparisons must not depend on where a match is.
        let matched = false;
        for (const candidate of candidates) {
          matched = timingSafeEqual(candidate, expected) || matched;
        }
        if (matched) {
          return { id, timestamp: new Date(signedSeconds * 1000) };
        }
      }
    }
    throw new VisiwiseSignatureError('invalid_signature', noSignatureMatchedMessage());
  }
}

function toBuffer(rawBody: unknown): Buffer {
  if (Buffer.isBuffer(rawBody)) {
    return rawBody;
  }
  if (typeof rawBody === 'string') {
    return Buffer.from(rawBody, 'utf8');
  }
  if (rawBody instanceof Uint8Array) {
    return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  }
  throw new VisiwiseSignatureError('invalid_signature', invalidBodyTypeMessage());
}

function normaliseHeaders(headers: unknown): Map<string, unknown> {
  const bag = new Map<string, unknown>();
  if (headers === null || typeof headers !== 'object') {
    return bag;
  }
  for (const [name, value] of Object.entries(headers)) {
    bag.set(name.toLowerCase(), value);
  }
  return bag;
}

/**
 * Reads the first header family that is present. A repeated id or timestamp header is ambiguous
 * and treated as malformed; repeated signature headers are joined (each holds a list anyway).
 */
function pickHeader(
  bag: Map<string, unknown>,
  names: readonly string[],
  joinWith?: string,
): string | undefined {
  for (const name of names) {
    const value = bag.get(name);
    if (typeof value === 'string') {
      return value.trim();
    }
    if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) {
      if (value.length === 1) {
        return (value[0] ?? '').trim();
      }
      return joinWith === undefined ? '' : value.join(joinWith).trim();
    }
  }
  return undefined;
}

/** Decoded `v1` signatures of the right length; other versions and malformed entries are skipped. */
function parseV1Signatures(header: string): Buffer[] {
  const found: Buffer[] = [];
  const entries = header.split(' ');
  let parsed = 0;
  for (const entry of entries) {
    if (entry === '') {
      continue;
    }
    if (++parsed > MAX_SIGNATURES_PARSED) {
      break;
    }
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') {
      continue;
    }
    const decoded = Buffer.from(entry.slice(comma + 1), 'base64');
    if (decoded.length === SHA256_BYTES) {
      found.push(decoded);
    }
  }
  return found;
}
