import { KeyObject, createPublicKey } from 'node:crypto';
import {
  MIN_SECRET_BYTES,
  PUBLIC_KEY_PREFIX,
  SYMMETRIC_SECRET_PREFIX,
} from './signature.constants';
import {
  noSecretsMessage,
  secretEmptyMessage,
  invalidNotAfterMessage,
  publicKeyCannotSignMessage,
  publicKeyLengthMessage,
  secretIsPrivateKeyMessage,
  secretNotBase64Message,
  secretNotStringMessage,
  secretTooShortMessage,
  secretWhitespaceMessage,
} from './signature.messages';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';

// Standard or URL-safe base64, padding optional: Buffer.from(..., 'base64') would silently skip
// any other character, turning a mangled secret into a different key instead of an error.
// One character class, not an alternation of two overlapping ones: `(?:[..]|[..])+` backtracks
// exponentially on a long secret with one bad character (a ReDoS at start-up).
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A configured secret with an end of validity, for receiver-side rotation with overlap. */
export interface VisiwiseSecretWithExpiry {
  /** A `whsec_` signing secret or a `whpk_` public key. */
  readonly secret: string;
  /** After this instant the secret no longer verifies anything. */
  readonly notAfter?: Date;
}

/**
 * One entry of the secrets list: a `whsec_...` signing secret (HMAC, `v1` signatures), a
 * `whpk_...` Ed25519 public key (`v1a` signatures), or either with a `notAfter` date.
 */
export type VisiwiseSecretInput = string | VisiwiseSecretWithExpiry;

/** A decoded key the verifier checks signatures with (internal). */
export type SigningKey =
  | { readonly kind: 'hmac'; readonly key: Buffer; readonly notAfterMs: number | undefined }
  | { readonly kind: 'ed25519'; readonly key: KeyObject; readonly notAfterMs: number | undefined };

// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PUBLIC_KEY_BYTES = 32;

function asList(secrets: unknown): unknown[] {
  return Array.isArray(secrets) ? secrets : secrets === undefined ? [] : [secrets];
}

/**
 * Decodes the configured secrets and public keys, failing with a message that names which entry
 * is wrong and how to fix it. The secret text never enters a message.
 */
export function decodeSigningKeys(secrets: unknown): SigningKey[] {
  const list = asList(secrets);
  if (list.length === 0) {
    throw new VisiwiseConfigurationError(noSecretsMessage());
  }
  return list.map((entry, index) => decodeSigningKey(entry, index, list.length));
}

/** Decodes `whsec_` secrets into HMAC keys (for signing); a public key is refused. */
export function decodeSigningSecrets(secrets: unknown): Buffer[] {
  return decodeSigningKeys(secrets).map((key, index, all) => {
    if (key.kind !== 'hmac') {
      throw new VisiwiseConfigurationError(publicKeyCannotSignMessage(index, all.length));
    }
    return key.key;
  });
}

function decodeSigningKey(entry: unknown, index: number, count: number): SigningKey {
  let secret: unknown = entry;
  let notAfterMs: number | undefined;
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
    const { secret: value, notAfter } = entry as { secret?: unknown; notAfter?: unknown };
    secret = value;
    if (notAfter !== undefined) {
      if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime())) {
        throw new VisiwiseConfigurationError(invalidNotAfterMessage(index, count));
      }
      notAfterMs = notAfter.getTime();
    }
  }
  if (typeof secret !== 'string') {
    throw new VisiwiseConfigurationError(secretNotStringMessage(index, count));
  }
  const trimmed = secret.trim();
  if (trimmed === '') {
    throw new VisiwiseConfigurationError(secretEmptyMessage(index, count));
  }
  if (trimmed.startsWith('whsk_')) {
    throw new VisiwiseConfigurationError(secretIsPrivateKeyMessage(index, count));
  }
  if (trimmed.startsWith(PUBLIC_KEY_PREFIX)) {
    const raw = decodeBase64(trimmed.slice(PUBLIC_KEY_PREFIX.length), index, count);
    if (raw.length !== ED25519_PUBLIC_KEY_BYTES) {
      throw new VisiwiseConfigurationError(
        publicKeyLengthMessage(index, count, raw.length, ED25519_PUBLIC_KEY_BYTES),
      );
    }
    const key = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
      format: 'der',
      type: 'spki',
    });
    return { kind: 'ed25519', key, notAfterMs };
  }
  const encoded = trimmed.startsWith(SYMMETRIC_SECRET_PREFIX)
    ? trimmed.slice(SYMMETRIC_SECRET_PREFIX.length)
    : trimmed;
  const key = decodeBase64(encoded, index, count);
  if (key.length < MIN_SECRET_BYTES) {
    throw new VisiwiseConfigurationError(
      secretTooShortMessage(index, count, key.length, MIN_SECRET_BYTES),
    );
  }
  return { kind: 'hmac', key, notAfterMs };
}

function decodeBase64(encoded: string, index: number, count: number): Buffer {
  if (/[\s"']/.test(encoded)) {
    throw new VisiwiseConfigurationError(secretWhitespaceMessage(index, count));
  }
  if (encoded === '' || !BASE64.test(encoded) || encoded.length % 4 === 1) {
    throw new VisiwiseConfigurationError(secretNotBase64Message(index, count));
  }
  return Buffer.from(encoded, 'base64');
}
