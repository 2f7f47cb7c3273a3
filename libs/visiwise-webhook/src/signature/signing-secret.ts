import { MIN_SECRET_BYTES, SYMMETRIC_SECRET_PREFIX } from './signature.constants';
import {
  noSecretsMessage,
  secretEmptyMessage,
  secretIsPrivateKeyMessage,
  secretIsPublicKeyMessage,
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

/**
 * Decodes configured secrets into HMAC keys, failing with a message that names which secret is
 * wrong and how to fix it. The secret text never enters a message.
 */
export function decodeSigningSecrets(secrets: unknown): Buffer[] {
  const list: unknown[] = Array.isArray(secrets) ? secrets : secrets === undefined ? [] : [secrets];
  if (list.length === 0) {
    throw new VisiwiseConfigurationError(noSecretsMessage());
  }
  return list.map((secret, index) => decodeSigningSecret(secret, index, list.length));
}

function decodeSigningSecret(secret: unknown, index: number, count: number): Buffer {
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
  if (trimmed.startsWith('whpk_')) {
    throw new VisiwiseConfigurationError(secretIsPublicKeyMessage(index, count));
  }
  const encoded = trimmed.startsWith(SYMMETRIC_SECRET_PREFIX)
    ? trimmed.slice(SYMMETRIC_SECRET_PREFIX.length)
    : trimmed;
  if (/[\s"']/.test(encoded)) {
    throw new VisiwiseConfigurationError(secretWhitespaceMessage(index, count));
  }
  if (encoded === '' || !BASE64.test(encoded) || encoded.length % 4 === 1) {
    throw new VisiwiseConfigurationError(secretNotBase64Message(index, count));
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES) {
    throw new VisiwiseConfigurationError(
      secretTooShortMessage(index, count, key.length, MIN_SECRET_BYTES),
    );
  }
  return key;
}
