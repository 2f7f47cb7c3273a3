import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { SYMMETRIC_SECRET_PREFIX } from '../signature/signature.constants';
import { secretNotBase64Message, secretTooShortMessage } from '../signature/signature.messages';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { VisiwiseSignatureError } from '../signature/visiwise-signature.error';
import { VisiwiseWebhookVerifier } from '../signature/visiwise-webhook-verifier';
import {
  generateVisiwiseWebhookSecret,
  serializeVisiwisePayload,
  signVisiwiseWebhook,
} from './sign-visiwise-webhook';

// Standard Webhooks public test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;

/** Independent oracle for the v1 signature. */
function v1(secret: string, id: string, timestamp: string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return `v1,${mac.toString('base64')}`;
}

const payload = {
  type: 'shipment.tracked',
  timestamp: '2024-06-01T12:00:00Z',
  data: { trackingReference: 'MSCU1234566', port: 'Zürich → 上海 🚢' },
};

describe('signVisiwiseWebhook', () => {
  // VisiwiseWebhookHeaders is an interface (no index signature), so it is spread into a plain
  // object literal type where the verifier's header bag is expected.
  it('reproduces the public test vector', () => {
    expect(
      signVisiwiseWebhook({
        secret: VECTOR.secret,
        payload: VECTOR.payload,
        id: VECTOR.id,
        timestamp: VECTOR.timestamp,
      }),
    ).toEqual({
      'svix-id': VECTOR.id,
      'svix-timestamp': String(VECTOR.timestamp),
      'svix-signature': VECTOR.signature,
    });
  });

  it('returns exactly the three svix-* headers', () => {
    const headers = signVisiwiseWebhook({ secret: VECTOR.secret, payload });
    expect(Object.keys(headers).sort()).toEqual(['svix-id', 'svix-signature', 'svix-timestamp']);
    expect(headers['svix-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('signs an object as JSON.stringify(object)', () => {
    const secret = generateVisiwiseWebhookSecret();
    const headers = signVisiwiseWebhook({ secret, payload, id: 'msg_obj', timestamp: 1700000000 });
    const json = JSON.stringify(payload);
    expect(headers['svix-signature']).toBe(v1(secret, 'msg_obj', '1700000000', json));
    expect(serializeVisiwisePayload(payload)).toBe(json);
    const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
    const now = new Date(1700000000 * 1000);
    expect(verifier.verify(json, { ...headers }, { now }).id).toBe('msg_obj');
    expect(verifier.verify(Buffer.from(json, 'utf8'), { ...headers }, { now }).id).toBe('msg_obj');
    // A pretty-printed copy of the same object is a different body.
    expect(() =>
      verifier.verify(JSON.stringify(payload, null, 2), { ...headers }, { now }),
    ).toThrow(VisiwiseSignatureError);
  });

  it('signs strings and Buffers as they are', () => {
    const text = 'not json, but ünïcødé 😀\n';
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    expect(serializeVisiwisePayload(text)).toBe(text);
    expect(serializeVisiwisePayload(bytes)).toBe(bytes);
    expect(
      signVisiwiseWebhook({ secret: VECTOR.secret, payload: text, id: 'msg_s', timestamp: 5 })[
        'svix-signature'
      ],
    ).toBe(v1(VECTOR.secret, 'msg_s', '5', text));
    expect(
      signVisiwiseWebhook({ secret: VECTOR.secret, payload: bytes, id: 'msg_b', timestamp: 5 })[
        'svix-signature'
      ],
    ).toBe(v1(VECTOR.secret, 'msg_b', '5', bytes));
  });

  it('defaults the id to a random msg_ id and the timestamp to now', () => {
    const before = Math.floor(Date.now() / 1000);
    const first = signVisiwiseWebhook({ secret: VECTOR.secret, payload });
    const second = signVisiwiseWebhook({ secret: VECTOR.secret, payload });
    const after = Math.floor(Date.now() / 1000);
    expect(first['svix-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(first['svix-id']).not.toBe(second['svix-id']);
    const seconds = Number(first['svix-timestamp']);
    expect(first['svix-timestamp']).toMatch(/^[0-9]+$/);
    expect(seconds).toBeGreaterThanOrEqual(before);
    expect(seconds).toBeLessThanOrEqual(after);
  });

  it('takes the timestamp as a Date or as seconds, in whole seconds', () => {
    const fromDate = signVisiwiseWebhook({
      secret: VECTOR.secret,
      payload,
      id: 'msg_t',
      timestamp: new Date(1700000000999),
    });
    const fromNumber = signVisiwiseWebhook({
      secret: VECTOR.secret,
      payload,
      id: 'msg_t',
      timestamp: 1700000000.75,
    });
    expect(fromDate['svix-timestamp']).toBe('1700000000');
    expect(fromNumber).toEqual(fromDate);
    expect(fromDate['svix-signature']).toBe(
      v1(VECTOR.secret, 'msg_t', '1700000000', JSON.stringify(payload)),
    );
  });

  it('produces deliveries the standardwebhooks reference verifier accepts', () => {
    const secret = generateVisiwiseWebhookSecret();
    const headers = signVisiwiseWebhook({ secret, payload });
    const body = JSON.stringify(payload);
    const standard = new StandardWebhook(secret);
    // standardwebhooks reads only the webhook-* names (and checks against the real clock).
    const unbranded = {
      'webhook-id': headers['svix-id'],
      'webhook-timestamp': headers['svix-timestamp'],
      'webhook-signature': headers['svix-signature'],
    };
    expect(standard.verify(body, unbranded)).toEqual(payload);
    expect(standard.verify(Buffer.from(body, 'utf8'), unbranded)).toEqual(payload);
    expect(() => standard.verify(`${body} `, unbranded)).toThrow();
    // svix accepts the branded names directly.
    expect(new SvixWebhook(secret).verify(body, { ...headers })).toEqual(payload);
    // And our own verifier, with both header families.
    const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
    expect(verifier.verify(body, { ...headers }).id).toBe(headers['svix-id']);
    expect(verifier.verify(body, unbranded).id).toBe(headers['svix-id']);
  });

  it('signs with the same bytes as the reference libraries', () => {
    const secret = generateVisiwiseWebhookSecret();
    const date = new Date(1700000000 * 1000);
    const body = JSON.stringify(payload, null, 2);
    const ours = signVisiwiseWebhook({ secret, payload: body, id: 'msg_x', timestamp: date });
    expect(ours['svix-signature']).toBe(new StandardWebhook(secret).sign('msg_x', date, body));
    expect(ours['svix-signature']).toBe(new SvixWebhook(secret).sign('msg_x', date, body));
  });

  it('rejects an unusable secret with VisiwiseConfigurationError', () => {
    expect(() => signVisiwiseWebhook({ secret: 'whsec_***', payload })).toThrow(
      new VisiwiseConfigurationError(secretNotBase64Message(0, 1)),
    );
    expect(() => signVisiwiseWebhook({ secret: 'whsec_dGVzdA==', payload })).toThrow(
      VisiwiseConfigurationError,
    );
    expect(() => signVisiwiseWebhook({ secret: 'whsec_dGVzdA==', payload })).toThrow(
      secretTooShortMessage(0, 1, 4, 16),
    );
  });
});

describe('generateVisiwiseWebhookSecret', () => {
  it('yields a whsec_ secret of 24 random bytes', () => {
    const secret = generateVisiwiseWebhookSecret();
    expect(secret.startsWith(SYMMETRIC_SECRET_PREFIX)).toBe(true);
    const encoded = secret.slice(SYMMETRIC_SECRET_PREFIX.length);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(encoded, 'base64')).toHaveLength(24);
  });

  it('differs across calls', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateVisiwiseWebhookSecret()));
    expect(secrets.size).toBe(50);
  });

  it('is accepted by the verifier and round-trips with signVisiwiseWebhook', () => {
    const secret = generateVisiwiseWebhookSecret();
    const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
    expect(verifier.secretCount).toBe(1);
    const headers = signVisiwiseWebhook({ secret, payload, id: 'msg_roundtrip' });
    expect(verifier.verify(JSON.stringify(payload), { ...headers }).id).toBe('msg_roundtrip');
    // A different generated secret does not verify it.
    const other = new VisiwiseWebhookVerifier({ secrets: generateVisiwiseWebhookSecret() });
    expect(() => other.verify(JSON.stringify(payload), { ...headers })).toThrow(
      VisiwiseSignatureError,
    );
  });
});
