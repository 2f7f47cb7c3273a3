import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import {
  DEFAULT_TOLERANCE_SECONDS,
  MAX_ID_LENGTH,
  MAX_SIGNATURES_PARSED,
  MIN_SECRET_BYTES,
} from './signature.constants';
import {
  invalidBodyTypeMessage,
  invalidIdMessage,
  invalidTimestampMessage,
  invalidToleranceMessage,
  missingHeadersMessage,
  noSecretsMessage,
  noSignatureMatchedMessage,
  secretEmptyMessage,
  secretIsPrivateKeyMessage,
  publicKeyLengthMessage,
  secretNotBase64Message,
  secretNotStringMessage,
  secretTooShortMessage,
  secretWhitespaceMessage,
  timestampTooNewMessage,
  timestampTooOldMessage,
} from './signature.messages';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';
import { VisiwiseSignatureError, VisiwiseSignatureFailureReason } from './visiwise-signature.error';
import {
  VisiwiseWebhookHeaderBag,
  VisiwiseWebhookVerifier,
  VisiwiseWebhookVerifierOptions,
} from './visiwise-webhook-verifier';

// Public test vector of the Standard Webhooks specification (also used by Svix's libraries).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;
const VECTOR_SECRET_BASE64 = VECTOR.secret.slice('whsec_'.length);
const VECTOR_KEY = Buffer.from(VECTOR_SECRET_BASE64, 'base64');
const VECTOR_SECONDS = Number(VECTOR.timestamp);
const VECTOR_NOW = new Date(VECTOR_SECONDS * 1000);

/** A second, unrelated secret (32 fixed bytes) and its key. */
const OTHER_KEY = Buffer.from('0123456789abcdef0123456789ABCDEF', 'utf8');
const OTHER_SECRET = `whsec_${OTHER_KEY.toString('base64')}`;

/** Independent oracle: the v1 signature as the specification defines it. */
function v1(key: Buffer, id: string, timestamp: string, body: string | Buffer): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return `v1,${mac.toString('base64')}`;
}

function vectorHeaders(overrides: Record<string, string | string[] | undefined> = {}) {
  const headers: Record<string, string | string[] | undefined> = {
    'svix-id': VECTOR.id,
    'svix-timestamp': VECTOR.timestamp,
    'svix-signature': VECTOR.signature,
    ...overrides,
  };
  return headers;
}

function withoutHeader(name: string): Record<string, string> {
  const headers: Record<string, string> = {
    'svix-id': VECTOR.id,
    'svix-timestamp': VECTOR.timestamp,
    'svix-signature': VECTOR.signature,
  };
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
  delete headers[name];
  return headers;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}

function expectRejection(
  fn: () => unknown,
  reason: VisiwiseSignatureFailureReason,
  message?: string,
): VisiwiseSignatureError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(VisiwiseSignatureError);
  const typed = error as VisiwiseSignatureError;
  expect(typed.name).toBe('VisiwiseSignatureError');
  expect(typed.reason).toBe(reason);
  if (message !== undefined) {
    expect(typed.message).toBe(message);
  }
  return typed;
}

function expectConfigurationError(
  options: VisiwiseWebhookVerifierOptions,
  message: string,
  secretText?: string,
): void {
  const error = thrownBy(() => new VisiwiseWebhookVerifier(options));
  expect(error).toBeInstanceOf(VisiwiseConfigurationError);
  const typed = error as VisiwiseConfigurationError;
  expect(typed.name).toBe('VisiwiseConfigurationError');
  expect(typed.message).toBe(message);
  if (secretText !== undefined && secretText.trim() !== '') {
    expect(typed.message).not.toContain(secretText);
    expect(typed.message).not.toContain(secretText.trim());
    expect(String(typed.stack)).not.toContain(secretText.trim());
  }
}

/** Deterministic PRNG (mulberry32) so that the randomised tests are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vectorVerifier = new VisiwiseWebhookVerifier({ secrets: VECTOR.secret });

describe('VisiwiseWebhookVerifier', () => {
  describe('Standard Webhooks public test vector', () => {
    it('the independent oracle reproduces the published signature', () => {
      expect(v1(VECTOR_KEY, VECTOR.id, VECTOR.timestamp, VECTOR.payload)).toBe(VECTOR.signature);
    });

    it('verifies and returns the id and the signed timestamp', () => {
      const result = vectorVerifier.verify(VECTOR.payload, vectorHeaders(), { now: VECTOR_NOW });
      expect(result.id).toBe(VECTOR.id);
      expect(result.timestamp).toBeInstanceOf(Date);
      expect(result.timestamp.getTime()).toBe(VECTOR_SECONDS * 1000);
      expect(result).toEqual({ id: VECTOR.id, timestamp: new Date(VECTOR_SECONDS * 1000) });
    });

    it('accepts the same secret without the whsec_ prefix', () => {
      const verifier = new VisiwiseWebhookVerifier({ secrets: VECTOR_SECRET_BASE64 });
      expect(verifier.verify(VECTOR.payload, vectorHeaders(), { now: VECTOR_NOW }).id).toBe(
        VECTOR.id,
      );
    });

    it('verifies a Buffer body and a string body alike', () => {
      const fromString = vectorVerifier.verify(VECTOR.payload, vectorHeaders(), {
        now: VECTOR_NOW,
      });
      const fromBuffer = vectorVerifier.verify(
        Buffer.from(VECTOR.payload, 'utf8'),
        vectorHeaders(),
        { now: VECTOR_NOW },
      );
      expect(fromBuffer).toEqual(fromString);
    });

    it('verifies a Buffer that is a slice of a larger allocation', () => {
      const big = Buffer.from(`xxxx${VECTOR.payload}yyyy`, 'utf8');
      const slice = big.subarray(4, 4 + Buffer.byteLength(VECTOR.payload));
      expect(vectorVerifier.verify(slice, vectorHeaders(), { now: VECTOR_NOW }).id).toBe(VECTOR.id);
    });

    it('rejects the body when any single byte is changed', () => {
      const original = Buffer.from(VECTOR.payload, 'utf8');
      for (let index = 0; index < original.length; index++) {
        const tampered = Buffer.from(original);
        tampered[index] = (tampered[index]! + 1) & 0xff;
        expectRejection(
          () => vectorVerifier.verify(tampered, vectorHeaders(), { now: VECTOR_NOW }),
          'invalid_signature',
          noSignatureMatchedMessage(),
        );
      }
    });

    it('rejects an appended byte, a removed byte and re-serialised JSON', () => {
      for (const body of [
        `${VECTOR.payload} `,
        VECTOR.payload.slice(0, -1),
        JSON.stringify(JSON.parse(VECTOR.payload)),
      ]) {
        expectRejection(
          () => vectorVerifier.verify(body, vectorHeaders(), { now: VECTOR_NOW }),
          'invalid_signature',
        );
      }
    });
  });

  describe('missing_headers', () => {
    it.each(['svix-id', 'svix-timestamp', 'svix-signature'])(
      'rejects when %s is absent',
      (name) => {
        expectRejection(
          () => vectorVerifier.verify(VECTOR.payload, withoutHeader(name), { now: VECTOR_NOW }),
          'missing_headers',
          missingHeadersMessage([name]),
        );
      },
    );

    it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('rejects when %s is empty', (name) => {
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ [name]: '' }), {
            now: VECTOR_NOW,
          }),
        'missing_headers',
        missingHeadersMessage([name]),
      );
    });

    it('rejects an empty header object, naming all three headers', () => {
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, {}, { now: VECTOR_NOW }),
        'missing_headers',
        missingHeadersMessage(['svix-id', 'svix-timestamp', 'svix-signature']),
      );
    });

    it('treats a whitespace-only header as empty', () => {
      // HTTP strips surrounding whitespace from field values, so " " arrives as an empty header.
      for (const name of ['svix-id', 'svix-timestamp', 'svix-signature']) {
        expectRejection(
          () =>
            vectorVerifier.verify(VECTOR.payload, vectorHeaders({ [name]: ' ' }), {
              now: VECTOR_NOW,
            }),
          'missing_headers',
          missingHeadersMessage([name]),
        );
      }
    });

    it('trims every kind of surrounding whitespace, not only ASCII spaces', () => {
      // A hand-built header bag can hold what Node's parser would have stripped; the verifier
      // skips trim() only when both ends are visible ASCII.
      for (const [before, after] of [
        [' ', '\t'],
        ['\u00a0', '\u00a0'],
        ['\ufeff', '\u3000'],
        ['', '\n'],
      ] as const) {
        const headers = vectorHeaders({
          'svix-id': `${before}${VECTOR.id}${after}`,
          'svix-timestamp': `${before}${VECTOR.timestamp}${after}`,
          'svix-signature': `${before}${VECTOR.signature}${after}`,
        });
        expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }).id).toBe(
          VECTOR.id,
        );
      }
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-id': '\u00a0' }), {
            now: VECTOR_NOW,
          }),
        'missing_headers',
        missingHeadersMessage(['svix-id']),
      );
    });

    it('rejects an undefined header value and an empty array as missing', () => {
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-id': undefined }), {
            now: VECTOR_NOW,
          }),
        'missing_headers',
        missingHeadersMessage(['svix-id']),
      );
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-signature': [] }), {
            now: VECTOR_NOW,
          }),
        'missing_headers',
        missingHeadersMessage(['svix-signature']),
      );
    });

    it('rejects a repeated (ambiguous) id header', () => {
      expectRejection(
        () =>
          vectorVerifier.verify(
            VECTOR.payload,
            vectorHeaders({ 'svix-id': [VECTOR.id, 'msg_x'] }),
            {
              now: VECTOR_NOW,
            },
          ),
        'missing_headers',
      );
    });

    it('rejects a malformed id: too long or with non-printable characters', () => {
      for (const id of ['x'.repeat(MAX_ID_LENGTH + 1), 'msg_a b', 'msg_é', 'msg\u0000x']) {
        const headers = vectorHeaders({
          'svix-id': id,
          'svix-signature': v1(VECTOR_KEY, id, VECTOR.timestamp, VECTOR.payload),
        });
        expectRejection(
          () => vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
          'missing_headers',
          invalidIdMessage(MAX_ID_LENGTH),
        );
      }
    });

    it('accepts an id of exactly the maximum length', () => {
      const id = 'm'.repeat(MAX_ID_LENGTH);
      const headers = vectorHeaders({
        'svix-id': id,
        'svix-signature': v1(VECTOR_KEY, id, VECTOR.timestamp, VECTOR.payload),
      });
      expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }).id).toBe(id);
    });
  });

  describe('invalid_timestamp', () => {
    it.each(['123abc', '-5', '1.5', '1e9', '+1614265330', '0x60377a52', '1_614_265_330'])(
      'rejects %j',
      (timestamp) => {
        // Signed correctly, so only the timestamp format can cause the rejection.
        const headers = vectorHeaders({
          'svix-timestamp': timestamp,
          'svix-signature': v1(VECTOR_KEY, VECTOR.id, timestamp, VECTOR.payload),
        });
        expectRejection(
          () => vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
          'invalid_timestamp',
          invalidTimestampMessage(),
        );
      },
    );

    it.each(['1614265330000', '0001614265330', '9'.repeat(20)])(
      'rejects 13+ digits: %s',
      (timestamp) => {
        const headers = vectorHeaders({
          'svix-timestamp': timestamp,
          'svix-signature': v1(VECTOR_KEY, VECTOR.id, timestamp, VECTOR.payload),
        });
        expectRejection(
          () => vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
          'invalid_timestamp',
          invalidTimestampMessage(),
        );
      },
    );

    it('rejects inner whitespace and a repeated timestamp header', () => {
      expectRejection(
        () =>
          vectorVerifier.verify(
            VECTOR.payload,
            vectorHeaders({ 'svix-timestamp': '1614 265330' }),
            {
              now: VECTOR_NOW,
            },
          ),
        'invalid_timestamp',
      );
      expectRejection(
        () =>
          vectorVerifier.verify(
            VECTOR.payload,
            vectorHeaders({ 'svix-timestamp': [VECTOR.timestamp, VECTOR.timestamp] }),
            { now: VECTOR_NOW },
          ),
        'missing_headers',
      );
    });

    it('" " is reported as a missing (empty) header, not as a malformed timestamp', () => {
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-timestamp': ' ' }), {
            now: VECTOR_NOW,
          }),
        'missing_headers',
        missingHeadersMessage(['svix-timestamp']),
      );
    });
  });

  describe('timestamp tolerance', () => {
    /** A correctly signed delivery whose timestamp is `offset` seconds from the vector's. */
    function deliveryAt(offset: number, key = VECTOR_KEY) {
      const timestamp = String(VECTOR_SECONDS + offset);
      return vectorHeaders({
        'svix-timestamp': timestamp,
        'svix-signature': v1(key, VECTOR.id, timestamp, VECTOR.payload),
      });
    }

    it('defaults to 300 s', () => {
      expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
      expect(vectorVerifier.toleranceSeconds).toBe(300);
    });

    it('accepts a timestamp exactly the default tolerance in the past and in the future', () => {
      for (const offset of [-300, 300, 0, -1, 1]) {
        const result = vectorVerifier.verify(VECTOR.payload, deliveryAt(offset), {
          now: VECTOR_NOW,
        });
        expect(result.timestamp.getTime()).toBe((VECTOR_SECONDS + offset) * 1000);
      }
    });

    it('rejects one second beyond the default tolerance, in both directions', () => {
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, deliveryAt(-301), { now: VECTOR_NOW }),
        'timestamp_too_old',
        timestampTooOldMessage(300),
      );
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, deliveryAt(301), { now: VECTOR_NOW }),
        'timestamp_too_new',
        timestampTooNewMessage(300),
      );
    });

    it('ignores the sub-second part of now', () => {
      const now = new Date((VECTOR_SECONDS + 300) * 1000 + 999);
      expect(vectorVerifier.verify(VECTOR.payload, deliveryAt(0), { now }).id).toBe(VECTOR.id);
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, deliveryAt(0), {
            now: new Date((VECTOR_SECONDS + 301) * 1000),
          }),
        'timestamp_too_old',
      );
    });

    it('rejects a replay of the public vector against the real clock', () => {
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, vectorHeaders()),
        'timestamp_too_old',
      );
    });

    it.each([0, 5, 60, 3600])('honours toleranceSeconds = %d at its edges', (tolerance) => {
      const verifier = new VisiwiseWebhookVerifier({
        secrets: VECTOR.secret,
        toleranceSeconds: tolerance,
      });
      expect(verifier.toleranceSeconds).toBe(tolerance);
      for (const offset of [-tolerance, tolerance]) {
        expect(verifier.verify(VECTOR.payload, deliveryAt(offset), { now: VECTOR_NOW }).id).toBe(
          VECTOR.id,
        );
      }
      expectRejection(
        () => verifier.verify(VECTOR.payload, deliveryAt(-tolerance - 1), { now: VECTOR_NOW }),
        'timestamp_too_old',
        timestampTooOldMessage(tolerance),
      );
      expectRejection(
        () => verifier.verify(VECTOR.payload, deliveryAt(tolerance + 1), { now: VECTOR_NOW }),
        'timestamp_too_new',
        timestampTooNewMessage(tolerance),
      );
    });

    it('checks the window before the signature (a stale forged delivery is "too old")', () => {
      const headers = deliveryAt(-10_000, OTHER_KEY);
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
        'timestamp_too_old',
      );
    });

    it('does not skip the replay window when `now` is an invalid Date', () => {
      // The vector is years old: with the real clock as fallback it must be rejected as stale.
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, vectorHeaders(), { now: new Date(NaN) }),
        'timestamp_too_old',
      );
    });
  });

  describe('invalid_signature', () => {
    it('rejects a signature made with another secret', () => {
      const headers = vectorHeaders({
        'svix-signature': v1(OTHER_KEY, VECTOR.id, VECTOR.timestamp, VECTOR.payload),
      });
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
        'invalid_signature',
        noSignatureMatchedMessage(),
      );
      const other = new VisiwiseWebhookVerifier({ secrets: OTHER_SECRET });
      expectRejection(
        () => other.verify(VECTOR.payload, vectorHeaders(), { now: VECTOR_NOW }),
        'invalid_signature',
      );
    });

    it('rejects a tampered id', () => {
      for (const id of [`${VECTOR.id}x`, VECTOR.id.slice(0, -1), 'msg_p5jXN8AQM9LWM0D4loKWxJeK']) {
        expectRejection(
          () =>
            vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-id': id }), {
              now: VECTOR_NOW,
            }),
          'invalid_signature',
        );
      }
    });

    it('rejects a tampered timestamp that is still within the tolerance', () => {
      for (const offset of [1, -1, 299]) {
        const timestamp = String(VECTOR_SECONDS + offset);
        expectRejection(
          () =>
            vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-timestamp': timestamp }), {
              now: VECTOR_NOW,
            }),
          'invalid_signature',
        );
      }
    });

    it('rejects a timestamp with leading zeros (the signed string differs)', () => {
      expectRejection(
        () =>
          vectorVerifier.verify(
            VECTOR.payload,
            vectorHeaders({ 'svix-timestamp': `0${VECTOR.timestamp}` }),
            { now: VECTOR_NOW },
          ),
        'invalid_signature',
      );
    });

    it('rejects v1 signatures of the wrong length', () => {
      const mac = Buffer.from(VECTOR.signature.slice(3), 'base64');
      expect(mac).toHaveLength(32);
      for (const bytes of [
        mac.subarray(0, 31),
        Buffer.concat([mac, Buffer.from([0])]),
        mac.subarray(0, 16),
        Buffer.alloc(0),
        Buffer.concat([mac, mac]),
      ]) {
        expectRejection(
          () =>
            vectorVerifier.verify(
              VECTOR.payload,
              vectorHeaders({ 'svix-signature': `v1,${bytes.toString('base64')}` }),
              { now: VECTOR_NOW },
            ),
          'invalid_signature',
        );
      }
    });

    it('rejects headers that carry only unknown versions or malformed entries', () => {
      const base64 = VECTOR.signature.slice(3);
      for (const header of [
        `v2,${base64}`,
        `v1a,${base64}`,
        `V1,${base64}`,
        ` v0,${base64}  v2,${base64} v1a,${base64}`,
        base64,
        `v1${base64}`,
        `v1;${base64}`,
        `,${base64}`,
        'v1,',
        'v1',
      ]) {
        expectRejection(
          () =>
            vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-signature': header }), {
              now: VECTOR_NOW,
            }),
          'invalid_signature',
          noSignatureMatchedMessage(),
        );
      }
    });

    it('rejects a body that is neither a string nor bytes', () => {
      for (const body of [undefined, null, 42, { test: 2432232314 }]) {
        expectRejection(
          () =>
            vectorVerifier.verify(body as unknown as string, vectorHeaders(), { now: VECTOR_NOW }),
          'invalid_signature',
          invalidBodyTypeMessage(),
        );
      }
    });

    it('accepts a Uint8Array body', () => {
      const bytes = new Uint8Array(Buffer.from(VECTOR.payload, 'utf8'));
      expect(
        vectorVerifier.verify(bytes as unknown as Buffer, vectorHeaders(), { now: VECTOR_NOW }).id,
      ).toBe(VECTOR.id);
    });
  });

  describe('headers with several signatures', () => {
    const decoy = v1(OTHER_KEY, VECTOR.id, VECTOR.timestamp, VECTOR.payload);

    function verifyWith(signatureHeader: string | string[]) {
      return vectorVerifier.verify(
        VECTOR.payload,
        vectorHeaders({ 'svix-signature': signatureHeader }),
        { now: VECTOR_NOW },
      );
    }

    it('accepts a decoy followed by the valid signature, and the reverse', () => {
      expect(verifyWith(`${decoy} ${VECTOR.signature}`).id).toBe(VECTOR.id);
      expect(verifyWith(`${VECTOR.signature} ${decoy}`).id).toBe(VECTOR.id);
    });

    it('skips unknown versions around the valid signature', () => {
      const base64 = VECTOR.signature.slice(3);
      expect(verifyWith(`v1a,${base64} v2,AAAA ${VECTOR.signature} v3,xyz`).id).toBe(VECTOR.id);
      expect(verifyWith(`v1a,c29tZQ== ${VECTOR.signature}`).id).toBe(VECTOR.id);
    });

    it('accepts the valid signature among many decoys', () => {
      const decoys = Array.from({ length: 20 }, (_, index) =>
        v1(OTHER_KEY, `${VECTOR.id}${index}`, VECTOR.timestamp, VECTOR.payload),
      );
      for (const position of [0, 7, decoys.length]) {
        const list = [...decoys];
        list.splice(position, 0, VECTOR.signature);
        expect(verifyWith(list.join(' ')).id).toBe(VECTOR.id);
      }
      expectRejection(() => verifyWith(decoys.join(' ')), 'invalid_signature');
    });

    it(`reads at most ${MAX_SIGNATURES_PARSED} entries (bounded work per request)`, () => {
      const decoys = Array.from({ length: MAX_SIGNATURES_PARSED }, () => decoy);
      expect(verifyWith([...decoys.slice(1), VECTOR.signature].join(' ')).id).toBe(VECTOR.id);
      expectRejection(
        () => verifyWith([...decoys, VECTOR.signature].join(' ')),
        'invalid_signature',
      );
    });

    it('tolerates duplicate, leading and trailing spaces', () => {
      expect(verifyWith(`  ${decoy}    ${VECTOR.signature}   `).id).toBe(VECTOR.id);
      expect(verifyWith(`${VECTOR.signature}  ${decoy}`).id).toBe(VECTOR.id);
    });

    it('accepts the same valid signature listed twice', () => {
      expect(verifyWith(`${VECTOR.signature} ${VECTOR.signature}`).id).toBe(VECTOR.id);
    });
  });

  describe('header names', () => {
    it('accepts the Standard Webhooks family (webhook-*)', () => {
      const headers = {
        'webhook-id': VECTOR.id,
        'webhook-timestamp': VECTOR.timestamp,
        'webhook-signature': VECTOR.signature,
      };
      expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW })).toEqual({
        id: VECTOR.id,
        timestamp: VECTOR_NOW,
      });
    });

    it('prefers svix-* over webhook-* when both are present', () => {
      const headers = {
        ...vectorHeaders(),
        'webhook-id': 'msg_other',
        'webhook-timestamp': String(VECTOR_SECONDS + 1),
        'webhook-signature': 'v1,AAAA',
      };
      expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }).id).toBe(
        VECTOR.id,
      );
      const forged = {
        ...vectorHeaders({ 'svix-signature': 'v1,AAAA' }),
        'webhook-signature': VECTOR.signature,
      };
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, forged, { now: VECTOR_NOW }),
        'invalid_signature',
      );
    });

    it('matches header names case-insensitively', () => {
      for (const headers of [
        {
          'Svix-Id': VECTOR.id,
          'Svix-Timestamp': VECTOR.timestamp,
          'Svix-Signature': VECTOR.signature,
        },
        {
          'SVIX-ID': VECTOR.id,
          'svix-TIMESTAMP': VECTOR.timestamp,
          'sViX-sIgNaTuRe': VECTOR.signature,
        },
        {
          'Webhook-Id': VECTOR.id,
          'WEBHOOK-TIMESTAMP': VECTOR.timestamp,
          'Webhook-Signature': VECTOR.signature,
        },
      ]) {
        expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }).id).toBe(
          VECTOR.id,
        );
      }
    });

    it('prefers the lower-case spelling when a header object holds a name twice', () => {
      const decoy = v1(OTHER_KEY, VECTOR.id, VECTOR.timestamp, VECTOR.payload);
      // Whatever the key order, the exact lower-case name (what Node hands over) is the one read.
      for (const headers of [
        { ...vectorHeaders(), 'Svix-Signature': decoy },
        { 'Svix-Signature': decoy, ...vectorHeaders() },
        { ...vectorHeaders({ 'svix-id': undefined as never }), 'SVIX-ID': VECTOR.id },
      ]) {
        expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }).id).toBe(
          VECTOR.id,
        );
      }
      expectRejection(
        () =>
          vectorVerifier.verify(
            VECTOR.payload,
            { ...vectorHeaders({ 'svix-signature': decoy }), 'Svix-Signature': VECTOR.signature },
            { now: VECTOR_NOW },
          ),
        'invalid_signature',
      );
    });

    it('reads own enumerable headers only, on the direct path and the case-insensitive one', () => {
      for (const inherited of [
        vectorHeaders(),
        {
          'Svix-Id': VECTOR.id,
          'Svix-Timestamp': VECTOR.timestamp,
          'Svix-Signature': VECTOR.signature,
        },
      ]) {
        const headers = Object.create(inherited) as Record<string, string>;
        expectRejection(
          () => vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
          'missing_headers',
        );
      }
      const hidden = vectorHeaders();
      Object.defineProperty(hidden, 'svix-signature', {
        value: VECTOR.signature,
        enumerable: false,
      });
      expectRejection(
        () => vectorVerifier.verify(VECTOR.payload, hidden, { now: VECTOR_NOW }),
        'missing_headers',
      );
    });

    it('accepts an array-valued signature header (repeated header lines)', () => {
      const decoy = v1(OTHER_KEY, VECTOR.id, VECTOR.timestamp, VECTOR.payload);
      for (const value of [
        [VECTOR.signature],
        [decoy, VECTOR.signature],
        [VECTOR.signature, decoy],
        [`${decoy} v2,abc`, `v1a,xyz ${VECTOR.signature}`],
      ]) {
        expect(
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-signature': value }), {
            now: VECTOR_NOW,
          }).id,
        ).toBe(VECTOR.id);
      }
      expectRejection(
        () =>
          vectorVerifier.verify(VECTOR.payload, vectorHeaders({ 'svix-signature': [decoy] }), {
            now: VECTOR_NOW,
          }),
        'invalid_signature',
      );
    });

    it('accepts single-element arrays for the id and the timestamp', () => {
      const headers = vectorHeaders({
        'svix-id': [VECTOR.id],
        'svix-timestamp': [VECTOR.timestamp],
      });
      expect(vectorVerifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }).id).toBe(
        VECTOR.id,
      );
    });
  });

  describe('several secrets (rotation)', () => {
    it('verifies a signature made with the second configured secret', () => {
      const verifier = new VisiwiseWebhookVerifier({ secrets: [OTHER_SECRET, VECTOR.secret] });
      expect(verifier.secretCount).toBe(2);
      expect(verifier.verify(VECTOR.payload, vectorHeaders(), { now: VECTOR_NOW }).id).toBe(
        VECTOR.id,
      );
      const signedWithFirst = vectorHeaders({
        'svix-signature': v1(OTHER_KEY, VECTOR.id, VECTOR.timestamp, VECTOR.payload),
      });
      expect(verifier.verify(VECTOR.payload, signedWithFirst, { now: VECTOR_NOW }).id).toBe(
        VECTOR.id,
      );
    });

    it('rejects a signature made with none of the configured secrets', () => {
      const third = randomBytes(32);
      const verifier = new VisiwiseWebhookVerifier({ secrets: [OTHER_SECRET, VECTOR.secret] });
      const headers = vectorHeaders({
        'svix-signature': v1(third, VECTOR.id, VECTOR.timestamp, VECTOR.payload),
      });
      expectRejection(
        () => verifier.verify(VECTOR.payload, headers, { now: VECTOR_NOW }),
        'invalid_signature',
      );
    });

    it('counts secrets', () => {
      expect(vectorVerifier.secretCount).toBe(1);
      expect(new VisiwiseWebhookVerifier({ secrets: [VECTOR.secret] }).secretCount).toBe(1);
      expect(
        new VisiwiseWebhookVerifier({
          secrets: [VECTOR.secret, OTHER_SECRET, VECTOR_SECRET_BASE64],
        }).secretCount,
      ).toBe(3);
    });
  });

  describe('configuration errors', () => {
    const privateKey = `whsk_${randomBytes(32).toString('base64')}`;
    const publicKey = `whpk_${randomBytes(33).toString('base64')}`;

    interface ConfigCase {
      name: string;
      secrets: unknown;
      message: string;
      /** Secret material that must not appear in the message. */
      secretText?: string;
    }
    const cases: ConfigCase[] = [
      { name: 'an empty secret', secrets: '', message: secretEmptyMessage(0, 1) },
      { name: 'an empty list', secrets: [], message: noSecretsMessage() },
      { name: 'undefined secrets', secrets: undefined, message: noSecretsMessage() },
      {
        name: 'a whitespace-only secret',
        secrets: '   \n\t',
        message: secretEmptyMessage(0, 1),
      },
      { name: 'a non-string secret', secrets: 12345, message: secretNotStringMessage(0, 1) },
      { name: 'a null secret', secrets: null, message: secretNotStringMessage(0, 1) },
      {
        name: 'a non-string second secret',
        secrets: [VECTOR.secret, { key: 1 }],
        message: secretNotStringMessage(1, 2),
        secretText: VECTOR_SECRET_BASE64,
      },
      {
        name: 'a secret that is not base64',
        secrets: 'whsec_***',
        message: secretNotBase64Message(0, 1),
        secretText: 'whsec_***',
      },
      {
        name: 'a bare whsec_ prefix',
        secrets: 'whsec_',
        message: secretNotBase64Message(0, 1),
        // Nothing secret here: the message legitimately names the prefix.
        secretText: '',
      },
      {
        name: 'base64 of impossible length',
        secrets: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwA',
        message: secretNotBase64Message(0, 1),
        secretText: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwA',
      },
      {
        name: 'a secret that is too short',
        secrets: 'whsec_dGVzdA==',
        message: secretTooShortMessage(0, 1, 4, MIN_SECRET_BYTES),
        secretText: 'dGVzdA==',
      },
      {
        name: 'a secret with inner whitespace',
        secrets: 'whsec_MfKQ9r8GKYqr TwjUPD8ILPZIo2LaLaSw',
        message: secretWhitespaceMessage(0, 1),
        secretText: 'MfKQ9r8GKYqr',
      },
      {
        name: 'a quoted secret',
        secrets: `"${VECTOR.secret}"`,
        message: secretWhitespaceMessage(0, 1),
        secretText: VECTOR_SECRET_BASE64,
      },
      {
        name: 'a whsk_ private key',
        secrets: privateKey,
        message: secretIsPrivateKeyMessage(0, 1),
        secretText: privateKey.slice('whsk_'.length),
      },
      {
        name: 'a whpk_ public key of the wrong length',
        secrets: publicKey,
        message: publicKeyLengthMessage(0, 1, 33, 32),
        secretText: publicKey.slice('whpk_'.length),
      },
      {
        name: 'a bad second secret in a list',
        secrets: [VECTOR.secret, 'whsec_***'],
        message: secretNotBase64Message(1, 2),
        secretText: VECTOR_SECRET_BASE64,
      },
      {
        name: 'an empty third secret',
        secrets: [VECTOR.secret, OTHER_SECRET, ''],
        message: secretEmptyMessage(2, 3),
        secretText: OTHER_KEY.toString('base64'),
      },
    ];

    it.each(cases)('rejects $name', ({ secrets, message, secretText }) => {
      expectConfigurationError(
        { secrets: secrets as string },
        message,
        secretText ?? (typeof secrets === 'string' ? secrets : undefined),
      );
    });

    it('never puts a valid secret of the list into the message of another', () => {
      const error = thrownBy(
        () => new VisiwiseWebhookVerifier({ secrets: [VECTOR.secret, 'whsec_dGVzdA=='] }),
      ) as Error;
      expect(error).toBeInstanceOf(VisiwiseConfigurationError);
      expect(error.message).toBe(secretTooShortMessage(1, 2, 4, MIN_SECRET_BYTES));
      expect(error.message).not.toContain(VECTOR_SECRET_BASE64);
      expect(error.message).not.toContain('dGVzdA');
    });

    it.each([-1, -0.5, NaN, Infinity, -Infinity, '300'])(
      'rejects toleranceSeconds = %p',
      (toleranceSeconds) => {
        expectConfigurationError(
          { secrets: VECTOR.secret, toleranceSeconds: toleranceSeconds as number },
          invalidToleranceMessage(),
          VECTOR.secret,
        );
      },
    );

    it('uses the default tolerance when toleranceSeconds is undefined', () => {
      const verifier = new VisiwiseWebhookVerifier({
        secrets: VECTOR.secret,
        toleranceSeconds: undefined,
      });
      expect(verifier.toleranceSeconds).toBe(DEFAULT_TOLERANCE_SECONDS);
    });

    it('accepts a secret surrounded by whitespace (a trailing newline from a file)', () => {
      const verifier = new VisiwiseWebhookVerifier({ secrets: `  ${VECTOR.secret}\n` });
      expect(verifier.verify(VECTOR.payload, vectorHeaders(), { now: VECTOR_NOW }).id).toBe(
        VECTOR.id,
      );
    });
  });

  describe('any input yields a result or the typed error', () => {
    const reasons: readonly VisiwiseSignatureFailureReason[] = [
      'missing_headers',
      'invalid_timestamp',
      'timestamp_too_old',
      'timestamp_too_new',
      'invalid_signature',
    ];

    function expectOnlyTypedError(fn: () => unknown): void {
      let error: unknown;
      try {
        fn();
      } catch (caught) {
        error = caught;
      }
      if (error !== undefined) {
        expect(error).toBeInstanceOf(VisiwiseSignatureError);
        expect(reasons).toContain((error as VisiwiseSignatureError).reason);
        expect(typeof (error as VisiwiseSignatureError).message).toBe('string');
      }
    }

    const asBag = (value: unknown) => value as VisiwiseWebhookHeaderBag;
    const asBody = (value: unknown) => value as string;

    it('handles hand-picked hostile inputs', () => {
      const huge = 'v1,' + 'A'.repeat(1_000_000);
      const hostileHeaders: unknown[] = [
        null,
        undefined,
        42,
        'svix-id',
        [],
        [VECTOR.id, VECTOR.timestamp, VECTOR.signature],
        new Map(Object.entries(vectorHeaders())),
        { 'svix-id': 1, 'svix-timestamp': 1614265330, 'svix-signature': 3 },
        {
          'svix-id': VECTOR.id,
          'svix-timestamp': VECTOR_SECONDS,
          'svix-signature': VECTOR.signature,
        },
        { 'svix-id': [1, 2], 'svix-timestamp': [null], 'svix-signature': [{}] },
        { 'svix-id': {}, 'svix-timestamp': true, 'svix-signature': () => VECTOR.signature },
        vectorHeaders({ 'svix-signature': huge }),
        vectorHeaders({ 'svix-signature': Array.from({ length: 10_000 }, () => 'v1,AAAA') }),
        vectorHeaders({ 'svix-signature': ' '.repeat(100_000) + VECTOR.signature }),
        vectorHeaders({ 'svix-id': 'x'.repeat(1_000_000) }),
        vectorHeaders({ 'svix-timestamp': '9'.repeat(1_000_000) }),
        vectorHeaders({ 'svix-signature': `v1,${'\u{1F600}'.repeat(1000)}` }),
        vectorHeaders({ 'svix-signature': 'v1,====' }),
        Object.create(null) as object,
        {
          get 'svix-id'(): string {
            throw new Error('getter explodes');
          },
        },
        new Proxy(
          {},
          {
            ownKeys() {
              throw new TypeError('proxy explodes');
            },
          },
        ),
      ];
      const hostileBodies: unknown[] = [
        VECTOR.payload,
        undefined,
        null,
        0,
        {},
        [],
        Symbol('body'),
        Buffer.alloc(0),
        'x'.repeat(1_000_000),
      ];
      const hostileOptions: unknown[] = [
        undefined,
        {},
        { now: VECTOR_NOW },
        { now: 'yesterday' },
        { now: new Date(NaN) },
        null,
      ];
      for (const headers of hostileHeaders) {
        for (const body of hostileBodies) {
          for (const options of hostileOptions) {
            expectOnlyTypedError(() =>
              vectorVerifier.verify(
                asBody(body),
                asBag(headers),
                options as { now?: Date } | undefined,
              ),
            );
          }
        }
      }
    });

    it('handles a seeded stream of random inputs', () => {
      const random = seededRandom(0x5eed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const randomString = (maxLength: number): string => {
        const alphabet = [
          'a',
          'Z',
          '0',
          '9',
          ',',
          ' ',
          '=',
          '+',
          '/',
          '-',
          '_',
          '.',
          'v',
          '1',
          '\u0000',
          '\n',
          'é',
          '上',
          '\u{1F680}',
          '\uD800',
        ];
        let text = '';
        const length = Math.floor(random() * maxLength);
        for (let index = 0; index < length; index++) {
          text += pick(alphabet);
        }
        return text;
      };
      const randomValue = (): unknown =>
        pick<() => unknown>([
          () => randomString(40),
          () => randomString(2000),
          () => String(Math.floor(random() * 4_000_000_000)),
          () => String(VECTOR_SECONDS + Math.floor(random() * 1000) - 500),
          () => VECTOR.id,
          () => VECTOR.signature,
          () => `v1,${randomBytes(32).toString('base64')}`,
          () => `${pick(['v1', 'v2', 'v1a', ''])},${randomString(60)}`,
          () => [randomString(20), VECTOR.signature],
          () => [],
          () => random() * 1e12,
          () => null,
          () => undefined,
          () => ({ nested: randomString(10) }),
        ])();
      const headerNames = [
        'svix-id',
        'svix-timestamp',
        'svix-signature',
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
        'content-type',
      ];
      const randomCase = (name: string): string =>
        name.replace(/[a-z]/g, (c) => (random() < 0.3 ? c.toUpperCase() : c));

      let successes = 0;
      for (let iteration = 0; iteration < 3000; iteration++) {
        const headers: Record<string, unknown> = random() < 0.5 ? { ...vectorHeaders() } : {};
        const count = Math.floor(random() * 5);
        for (let index = 0; index < count; index++) {
          headers[randomCase(pick(headerNames))] = randomValue();
        }
        const body = pick<unknown>([
          VECTOR.payload,
          Buffer.from(VECTOR.payload),
          randomString(100),
          randomBytes(Math.floor(random() * 64)),
          undefined,
          null,
          7,
        ]);
        let result: ReturnType<VisiwiseWebhookVerifier['verify']> | undefined;
        expectOnlyTypedError(() => {
          result = vectorVerifier.verify(asBody(body), asBag(headers), { now: VECTOR_NOW });
        });
        if (result !== undefined) {
          successes++;
          // Success is only possible for the authentic body and id of the vector.
          expect(result.id).toBe(VECTOR.id);
          expect(Buffer.from(body as string | Buffer).toString('utf8')).toBe(VECTOR.payload);
          expect(result.timestamp.getTime()).toBe(VECTOR_SECONDS * 1000);
        }
      }
      // The generator reaches both outcomes, so the loop exercises success and failure paths.
      expect(successes).toBeGreaterThan(0);
    });

    it('rejects every single-character mutation of id, timestamp or body', () => {
      const random = seededRandom(42);
      const printable = (): string => String.fromCharCode(0x21 + Math.floor(random() * 94));
      const mutate = (text: string): string => {
        const index = Math.floor(random() * text.length);
        let replacement = printable();
        while (replacement === text[index]) {
          replacement = printable();
        }
        return text.slice(0, index) + replacement + text.slice(index + 1);
      };
      for (let iteration = 0; iteration < 500; iteration++) {
        const target = pick3(random);
        const headers = vectorHeaders();
        let body: string = VECTOR.payload;
        if (target === 0) {
          headers['svix-id'] = mutate(VECTOR.id);
        } else if (target === 1) {
          headers['svix-timestamp'] = mutate(VECTOR.timestamp);
        } else {
          body = mutate(VECTOR.payload);
        }
        expect(
          thrownBy(() => vectorVerifier.verify(body, headers, { now: VECTOR_NOW })),
        ).toBeInstanceOf(VisiwiseSignatureError);
      }
    });
  });

  describe('cross-check with the reference libraries', () => {
    const key = randomBytes(24);
    const secret = `whsec_${key.toString('base64')}`;
    const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
    const now = new Date('2024-06-01T12:00:00.000Z');
    const prettyBody = JSON.stringify(
      {
        type: 'shipment.tracked',
        data: {
          trackingReference: 'MSCU1234566',
          places: [
            { name: 'Zürich', country: 'CH' },
            { name: '上海', country: 'CN' },
            { name: 'São Paulo 🚢', note: 'emoji 🎉 and ümlauts, "quotes" and \\ backslash' },
          ],
        },
      },
      null,
      2,
    );

    it('the pretty-printed body really is multi-line and non-ASCII', () => {
      expect(prettyBody).toContain('\n');
      expect(Buffer.byteLength(prettyBody, 'utf8')).toBeGreaterThan(prettyBody.length);
    });

    it('both reference libraries reproduce the public vector', () => {
      const date = new Date(VECTOR_SECONDS * 1000);
      expect(new StandardWebhook(VECTOR.secret).sign(VECTOR.id, date, VECTOR.payload)).toBe(
        VECTOR.signature,
      );
      expect(new SvixWebhook(VECTOR.secret).sign(VECTOR.id, date, VECTOR.payload)).toBe(
        VECTOR.signature,
      );
    });

    it.each([
      ['standardwebhooks', (s: string) => new StandardWebhook(s)],
      ['svix', (s: string) => new SvixWebhook(s)],
    ] as const)('verifies deliveries signed by %s', (_name, create) => {
      const signer = create(secret);
      const bodies = [prettyBody, '{}', '', 'plain text ✓', VECTOR.payload, '{"a":"\r\n\t"}'];
      for (const body of bodies) {
        const id = `msg_${randomBytes(8).toString('hex')}`;
        const signature = signer.sign(id, now, body);
        // Independent agreement: the oracle computes the same value.
        expect(signature).toBe(v1(key, id, String(now.getTime() / 1000), body));
        for (const family of ['svix', 'webhook']) {
          const headers = {
            [`${family}-id`]: id,
            [`${family}-timestamp`]: String(now.getTime() / 1000),
            [`${family}-signature`]: signature,
          };
          expect(verifier.verify(body, headers, { now })).toEqual({ id, timestamp: now });
          expect(verifier.verify(Buffer.from(body, 'utf8'), headers, { now }).id).toBe(id);
        }
        // And the same delivery under another secret does not verify.
        const stranger = create(OTHER_SECRET).sign(id, now, body);
        expectRejection(
          () =>
            verifier.verify(
              body,
              {
                'svix-id': id,
                'svix-timestamp': String(now.getTime() / 1000),
                'svix-signature': stranger,
              },
              { now },
            ),
          'invalid_signature',
        );
      }
    });

    it('agrees with standardwebhooks on seeded random unicode bodies', () => {
      const random = seededRandom(2024);
      const pieces = ['a', ' ', '\n', '"', '\\', 'Zürich', '上海', '😀', '🇨🇭', '\u00a0', '{', '}'];
      const signer = new StandardWebhook(secret);
      for (let iteration = 0; iteration < 200; iteration++) {
        let body = '';
        const length = Math.floor(random() * 50);
        for (let index = 0; index < length; index++) {
          body += pieces[Math.floor(random() * pieces.length)]!;
        }
        const id = `msg_${iteration}`;
        const headers = {
          'svix-id': id,
          'svix-timestamp': String(now.getTime() / 1000),
          'svix-signature': signer.sign(id, now, body),
        };
        expect(verifier.verify(Buffer.from(body, 'utf8'), headers, { now }).id).toBe(id);
      }
    });

    it('verifies a svix-signed delivery mixed with decoys and rotation secrets', () => {
      const rotated = new VisiwiseWebhookVerifier({ secrets: [OTHER_SECRET, secret] });
      const id = 'msg_rotation';
      const valid = new SvixWebhook(secret).sign(id, now, prettyBody);
      const decoy = new SvixWebhook(VECTOR.secret).sign(id, now, prettyBody);
      const headers = {
        'Svix-Id': id,
        'Svix-Timestamp': String(now.getTime() / 1000),
        'Svix-Signature': `${decoy} v1a,abc ${valid}`,
      };
      expect(rotated.verify(prettyBody, headers, { now }).id).toBe(id);
    });
  });

  describe('secrecy', () => {
    it('does not expose the secret or the key through util.inspect or JSON.stringify', () => {
      const verifier = new VisiwiseWebhookVerifier({ secrets: [VECTOR.secret, OTHER_SECRET] });
      const forbidden = [
        VECTOR.secret,
        VECTOR_SECRET_BASE64,
        VECTOR_KEY.toString('hex'),
        OTHER_SECRET,
        OTHER_KEY.toString('base64'),
        OTHER_KEY.toString('hex'),
        OTHER_KEY.toString('utf8'),
      ];
      const renderings = [
        inspect(verifier),
        inspect(verifier, { showHidden: true, depth: Infinity, getters: true }),
        JSON.stringify(verifier),
        String(Object.keys(verifier)),
        JSON.stringify(Object.getOwnPropertyNames(verifier)),
      ];
      for (const text of renderings) {
        for (const value of forbidden) {
          expect(text).not.toContain(value);
        }
        // Raw key bytes would appear as a Buffer rendering.
        expect(text).not.toMatch(/Buffer|<Buffer/);
      }
    });
  });
});

function pick3(random: () => number): 0 | 1 | 2 {
  return Math.floor(random() * 3) as 0 | 1 | 2;
}
