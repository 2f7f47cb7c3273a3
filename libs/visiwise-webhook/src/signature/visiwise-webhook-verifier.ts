import { createHmac, timingSafeEqual, verify as verifyAsymmetric } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_SECONDS,
  ED25519_SIGNATURE_BYTES,
  ID_HEADERS,
  MAX_SIGNATURE_HEADER_LENGTH,
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
  signatureHeaderTooLongMessage,
  timestampTooNewMessage,
  timestampTooOldMessage,
} from './signature.messages';
import { SigningKey, VisiwiseSecretInput, decodeSigningKeys } from './signing-secret';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';
import { VisiwiseSignatureError } from './visiwise-signature.error';

/** Options of {@link VisiwiseWebhookVerifier}. */
export interface VisiwiseWebhookVerifierOptions {
  /**
   * The endpoint's signing secret(s), `whsec_` prefix optional, and/or Ed25519 public keys
   * (`whpk_...`, for `v1a` signatures). Several let a receiver accept both the old and the new
   * secret while a rotation is rolled out; `{ secret, notAfter }` ends one at a given instant.
   */
  secrets: VisiwiseSecretInput | readonly VisiwiseSecretInput[];
  /**
   * How far the signed `svix-timestamp` may be from the server clock, in seconds, in both
   * directions. Older deliveries are rejected as replays.
   * @default 300
   */
  toleranceSeconds?: number;
}

/** Per-call options of {@link VisiwiseWebhookVerifier.verify}. */
export interface VisiwiseVerifyOptions {
  /** The time to check the timestamp and the secrets' `notAfter` against. @default new Date() */
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
 * Verifies Visiwise webhook deliveries as Svix signs them (the Standard Webhooks scheme):
 * `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${rawBody}`)), where the key is the base64
 * decoding of the `whsec_` secret, or `v1a,` + base64(Ed25519 signature of the same content) for
 * `whpk_` public keys. It checks the three headers (svix-* first, then webhook-*), the timestamp
 * window and every listed signature (HMACs in constant time), on the raw bytes as received.
 *
 * Free of NestJS: usable in any Node.js code. Construction validates the secrets and throws
 * {@link VisiwiseConfigurationError} if one is unusable; `verify()` either returns the verified
 * delivery or throws {@link VisiwiseSignatureError}, whatever the input.
 */
export class VisiwiseWebhookVerifier {
  // ES private fields: not enumerable, not shown by util.inspect or JSON.stringify.
  readonly #keys: readonly SigningKey[];
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
    this.#keys = decodeSigningKeys(options.secrets);
    this.#toleranceSeconds = toleranceSeconds;
  }

  /** How many secrets and public keys this verifier holds (including expired ones). */
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
    options?: VisiwiseVerifyOptions,
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
    options: unknown,
  ): VerifiedVisiwiseDelivery {
    const { id, timestamp, signatures } = readWebhookHeaders(headers);
    // The three come back trimmed: an empty string is a header that holds nothing but spaces.
    if (!id || !timestamp || !signatures) {
      throw new VisiwiseSignatureError(
        'missing_headers',
        missingHeadersMessage(missingHeaderNames(id, timestamp, signatures)),
      );
    }
    if (id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
      throw new VisiwiseSignatureError('missing_headers', invalidIdMessage(MAX_ID_LENGTH));
    }
    if (!TIMESTAMP_PATTERN.test(timestamp)) {
      throw new VisiwiseSignatureError('invalid_timestamp', invalidTimestampMessage());
    }
    const signedSeconds = Number(timestamp);
    // An invalid Date (NaN) would make both window comparisons false and skip replay protection.
    // Read defensively: a JavaScript caller's `null` options must not refuse a valid delivery.
    const nowOption: unknown =
      typeof options === 'object' && options !== null
        ? (options as VisiwiseVerifyOptions).now
        : undefined;
    const given = nowOption instanceof Date ? nowOption.getTime() : NaN;
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
    if (signatures.length > MAX_SIGNATURE_HEADER_LENGTH) {
      throw new VisiwiseSignatureError(
        'invalid_signature',
        signatureHeaderTooLongMessage(MAX_SIGNATURE_HEADER_LENGTH),
      );
    }
    const body = toBuffer(rawBody);
    const candidates = parseSignatures(signatures);
    if (candidates.v1.length + candidates.v1a.length > 0) {
      const prefix = `${id}.${timestamp}.`;
      for (const key of this.#keys) {
        // A secret past its notAfter verifies nothing (receiver-side rotation).
        if (key.notAfterMs !== undefined && now > key.notAfterMs) {
          continue;
        }
        if (matches(key, prefix, body, candidates)) {
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

interface WebhookHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signatures: string | undefined;
}

/**
 * The id, timestamp and signature headers. Node (and so Express and Fastify) hands over lower-case
 * names, so the three `svix-*` names are read directly when all three are own string properties;
 * otherwise every own enumerable key is matched case-insensitively. Where one object holds a name
 * in two spellings, the lower-case one wins.
 */
function readWebhookHeaders(headers: unknown): WebhookHeaders {
  if (headers === null || typeof headers !== 'object') {
    return { id: undefined, timestamp: undefined, signatures: undefined };
  }
  const record = headers as Record<string, unknown>;
  const id = ownStringHeader(record, ID_HEADERS[0]);
  const timestamp = ownStringHeader(record, TIMESTAMP_HEADERS[0]);
  const signatures = ownStringHeader(record, SIGNATURE_HEADERS[0]);
  if (id !== undefined && timestamp !== undefined && signatures !== undefined) {
    return {
      id: trimHeader(id),
      timestamp: trimHeader(timestamp),
      signatures: trimHeader(signatures),
    };
  }
  const bag = collectWebhookHeaders(record);
  return {
    id: pickHeader(bag, ID_HEADERS),
    timestamp: pickHeader(bag, TIMESTAMP_HEADERS),
    signatures: pickHeader(bag, SIGNATURE_HEADERS, ' '),
  };
}

const isVisibleAscii = (code: number): boolean => code > 0x20 && code < 0x7f;

/** `value.trim()`, without the call when both ends are visible ASCII (as Svix's values are). */
function trimHeader(value: string): string {
  return value.length > 0 &&
    isVisibleAscii(value.charCodeAt(0)) &&
    isVisibleAscii(value.charCodeAt(value.length - 1))
    ? value
    : value.trim();
}

const isOwnHeader = (record: object, name: string): boolean =>
  Object.prototype.propertyIsEnumerable.call(record, name);

function ownStringHeader(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' && isOwnHeader(record, name) ? value : undefined;
}

function missingHeaderNames(
  id: string | undefined,
  timestamp: string | undefined,
  signatures: string | undefined,
): string[] {
  const missing: string[] = [];
  if (!id) missing.push('svix-id');
  if (!timestamp) missing.push('svix-timestamp');
  if (!signatures) missing.push('svix-signature');
  return missing;
}

// Every header name the verifier reads. Collecting only these (rather than lower-casing every
// header of the request into a new map) keeps the slow path close to the fast one.
const WEBHOOK_HEADERS: ReadonlySet<string> = new Set([
  ...ID_HEADERS,
  ...TIMESTAMP_HEADERS,
  ...SIGNATURE_HEADERS,
]);

function collectWebhookHeaders(record: Record<string, unknown>): Map<string, unknown> {
  const bag = new Map<string, unknown>();
  const exact = new Set<string>();
  for (const name of Object.keys(record)) {
    const lower = name.toLowerCase();
    const value = record[name];
    if (!WEBHOOK_HEADERS.has(lower) || value === undefined) {
      continue;
    }
    // An exact lower-case name is never overridden by another spelling of it.
    if (lower === name) {
      bag.set(lower, value);
      exact.add(lower);
    } else if (!exact.has(lower)) {
      bag.set(lower, value);
    }
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

interface ParsedSignatures {
  readonly v1: Buffer[];
  readonly v1a: Buffer[];
}

/**
 * Whether any listed signature of the key's kind matches.
 *
 * The HMAC is read as a latin1 ('binary') string and copied into a Buffer from Node's pool: the
 * same 32 bytes, but a Buffer that `digest()` returns is made on Node's C++ side with memory of its
 * own, which cost ~1 µs per call on Node 20, a fifth of a 1 KiB verify (docs/BENCHMARKS.md).
 */
function matches(
  key: SigningKey,
  prefix: string,
  body: Buffer,
  candidates: ParsedSignatures,
): boolean {
  if (key.kind === 'hmac') {
    if (candidates.v1.length === 0) {
      return false;
    }
    const expected = Buffer.from(
      createHmac('sha256', key.key).update(prefix).update(body).digest('binary'),
      'latin1',
    );
    // Check every candidate: the number of comparisons must not depend on where a match is.
    let matched = false;
    for (const candidate of candidates.v1) {
      matched = timingSafeEqual(candidate, expected) || matched;
    }
    return matched;
  }
  if (candidates.v1a.length === 0) {
    return false;
  }
  // Ed25519 verification involves no secret, so it needs no constant-time care.
  const content = Buffer.concat([Buffer.from(prefix, 'utf8'), body]);
  return candidates.v1a.some((signature) => verifyAsymmetric(null, content, key.key, signature));
}

/**
 * Decoded `v1` (HMAC) and `v1a` (Ed25519) signatures of the right lengths; other versions and
 * malformed entries are skipped, and at most MAX_SIGNATURES_PARSED entries are looked at.
 */
function parseSignatures(header: string): ParsedSignatures {
  const v1: Buffer[] = [];
  const v1a: Buffer[] = [];
  let parsed = 0;
  // The space-separated entries, scanned in place: usually there is exactly one.
  for (let start = 0; start < header.length;) {
    const space = header.indexOf(' ', start);
    const end = space < 0 ? header.length : space;
    if (end > start) {
      if (++parsed > MAX_SIGNATURES_PARSED) {
        break;
      }
      // `version,` + base64: the version is whatever precedes the first comma.
      if (header.startsWith('v1,', start)) {
        const decoded = Buffer.from(header.slice(start + 3, end), 'base64');
        if (decoded.length === SHA256_BYTES) {
          v1.push(decoded);
        }
      } else if (header.startsWith('v1a,', start)) {
        const decoded = Buffer.from(header.slice(start + 4, end), 'base64');
        if (decoded.length === ED25519_SIGNATURE_BYTES) {
          v1a.push(decoded);
        }
      }
    }
    start = end + 1;
  }
  return { v1, v1a };
}
