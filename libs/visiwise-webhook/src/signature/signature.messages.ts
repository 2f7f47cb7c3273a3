/*
 * Every message of the verification core, in one place, so that code and tests use the same words.
 * None of these functions receives a secret: messages name a secret by its position only.
 */

const secretLabel = (index: number, count: number): string =>
  count === 1 ? 'The webhook secret' : `Webhook secret #${index + 1} (of ${count})`;

export const noSecretsMessage = (): string =>
  'No webhook secret configured. Copy the signing secret (it starts with "whsec_") from the ' +
  'Visiwise dashboard (API & Integrations > Webhook > your endpoint).';

export const secretNotStringMessage = (index: number, count: number): string =>
  `${secretLabel(index, count)} is not a string. Pass the "whsec_..." value from the Visiwise dashboard.`;

export const secretEmptyMessage = (index: number, count: number): string =>
  `${secretLabel(index, count)} is empty. Copy the signing secret (it starts with "whsec_") from the ` +
  'Visiwise dashboard.';

export const secretWhitespaceMessage = (index: number, count: number): string =>
  `${secretLabel(index, count)} contains whitespace or quotes. Copy the value without spaces, line ` +
  'breaks or surrounding quotes.';

export const secretNotBase64Message = (index: number, count: number): string =>
  `${secretLabel(index, count)} is not valid base64 after its "whsec_" prefix. Copy the whole ` +
  'signing secret from the Visiwise dashboard; it looks like whsec_ followed by base64 characters.';

export const secretTooShortMessage = (
  index: number,
  count: number,
  bytes: number,
  minBytes: number,
): string =>
  `${secretLabel(index, count)} decodes to ${bytes} bytes; at least ${minBytes} are required. ` +
  'It was probably truncated when copied: copy the whole value from the Visiwise dashboard.';

export const secretIsPrivateKeyMessage = (index: number, count: number): string =>
  `${secretLabel(index, count)} is a "whsk_" private signing key. A receiver must never hold the ` +
  'sender\'s private key: configure the endpoint\'s "whsec_" signing secret instead.';

export const publicKeyLengthMessage = (
  index: number,
  count: number,
  bytes: number,
  expected: number,
): string =>
  `${secretLabel(index, count)} is a "whpk_" public key that decodes to ${bytes} bytes; an Ed25519 ` +
  `public key has ${expected}. Copy the whole key.`;

export const publicKeyCannotSignMessage = (index: number, count: number): string =>
  `${secretLabel(index, count)} is a "whpk_" public key: it verifies v1a signatures but cannot ` +
  'sign. Sign test deliveries with a "whsec_" secret.';

export const invalidNotAfterMessage = (index: number, count: number): string =>
  `${secretLabel(index, count)} has a \`notAfter\` that is not a valid Date.`;

export const signatureHeaderTooLongMessage = (maxLength: number): string =>
  `The svix-signature header is longer than ${maxLength} characters; it is refused unparsed.`;

export const invalidToleranceMessage = (): string =>
  '`toleranceSeconds` must be a finite number of seconds >= 0 (default 300).';

export const missingHeadersMessage = (missing: readonly string[]): string =>
  `Missing or empty webhook header(s): ${missing.join(', ')}. A Visiwise delivery carries ` +
  'svix-id, svix-timestamp and svix-signature.';

export const invalidIdMessage = (maxLength: number): string =>
  `The svix-id header must be a single value of 1 to ${maxLength} printable characters.`;

export const invalidTimestampMessage = (): string =>
  'The svix-timestamp header must be a single whole number of seconds since the Unix epoch.';

export const timestampTooOldMessage = (toleranceSeconds: number): string =>
  `The svix-timestamp is more than ${toleranceSeconds} s in the past: the delivery is stale or ` +
  "replayed. If legitimate deliveries fail with this, check this server's clock (NTP).";

export const timestampTooNewMessage = (toleranceSeconds: number): string =>
  `The svix-timestamp is more than ${toleranceSeconds} s in the future. If legitimate deliveries ` +
  "fail with this, check this server's clock (NTP).";

export const noSignatureMatchedMessage = (): string =>
  'No signature in the svix-signature header matches the body and the configured secret(s). ' +
  'Check that the secret is the one of this endpoint (a rotated secret stops working at once) and ' +
  'that nothing re-encodes the body before verification.';

export const invalidBodyTypeMessage = (): string =>
  'The raw body must be a Buffer or a string holding the exact bytes that were received.';
