import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import {
  generateVisiwiseEd25519KeyPair,
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from '../testing/sign-visiwise-webhook';
import { MAX_SIGNATURE_HEADER_LENGTH } from './signature.constants';
import {
  invalidNotAfterMessage,
  publicKeyCannotSignMessage,
  signatureHeaderTooLongMessage,
} from './signature.messages';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';
import { VisiwiseSignatureError } from './visiwise-signature.error';
import { VisiwiseWebhookVerifier } from './visiwise-webhook-verifier';

const BODY = '{"type":"shipment.tracked","data":{"trackingReference":"MSCU1234566"}}';
const NOW = new Date('2026-03-01T12:00:00Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof VisiwiseSignatureError) return error.reason;
    throw error;
  }
}

describe('VisiwiseWebhookVerifier: Ed25519 (v1a) public keys', () => {
  it('verifies a v1a signature with the whpk_ key, computed independently with node:crypto', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const content = Buffer.from(`msg_ed.${NOW_SECONDS}.${BODY}`);
    const signature = sign(null, content, privateKey).toString('base64');
    const verifier = new VisiwiseWebhookVerifier({ secrets: `whpk_${raw.toString('base64')}` });
    const headers = {
      'svix-id': 'msg_ed',
      'svix-timestamp': String(NOW_SECONDS),
      'svix-signature': `v1a,${signature}`,
    };

    expect(verifier.verify(BODY, headers, { now: NOW })).toEqual({ id: 'msg_ed', timestamp: NOW });
    expect(reasonOf(() => verifier.verify(`${BODY} `, headers, { now: NOW }))).toBe(
      'invalid_signature',
    );
    expect(
      reasonOf(() => verifier.verify(BODY, { ...headers, 'svix-id': 'msg_other' }, { now: NOW })),
    ).toBe('invalid_signature');
  });

  it('never accepts a v1 HMAC for a public key, nor a v1a signature for an HMAC secret', () => {
    const pair = generateVisiwiseEd25519KeyPair();
    const secret = generateVisiwiseWebhookSecret();
    const hmacOnly = signVisiwiseWebhook({ secret, payload: BODY, timestamp: NOW });
    const edOnly = signVisiwiseWebhook({
      privateKey: pair.privateKey,
      payload: BODY,
      timestamp: NOW,
    });
    expect(
      reasonOf(() =>
        new VisiwiseWebhookVerifier({ secrets: pair.publicKey }).verify(BODY, hmacOnly, {
          now: NOW,
        }),
      ),
    ).toBe('invalid_signature');
    expect(
      reasonOf(() =>
        new VisiwiseWebhookVerifier({ secrets: secret }).verify(BODY, edOnly, { now: NOW }),
      ),
    ).toBe('invalid_signature');
  });

  it('accepts whpk_ and whsec_ entries mixed freely in one list', () => {
    const pair = generateVisiwiseEd25519KeyPair();
    const secret = generateVisiwiseWebhookSecret();
    const verifier = new VisiwiseWebhookVerifier({ secrets: [secret, pair.publicKey] });
    for (const input of [{ secret }, { privateKey: pair.privateKey }]) {
      const headers = signVisiwiseWebhook({
        ...input,
        payload: BODY,
        timestamp: NOW,
        id: 'msg_mix',
      });
      expect(verifier.verify(BODY, headers, { now: NOW }).id).toBe('msg_mix');
    }
    expect(verifier.secretCount).toBe(2);
  });

  it('refuses to sign with a public key', () => {
    const pair = generateVisiwiseEd25519KeyPair();
    expect(() => signVisiwiseWebhook({ secret: pair.publicKey, payload: BODY })).toThrow(
      new VisiwiseConfigurationError(publicKeyCannotSignMessage(0, 1)),
    );
  });
});

describe('VisiwiseWebhookVerifier: secrets with notAfter (receiver-side rotation)', () => {
  const oldSecret = generateVisiwiseWebhookSecret();
  const newSecret = generateVisiwiseWebhookSecret();
  const verifier = new VisiwiseWebhookVerifier({
    secrets: [{ secret: oldSecret, notAfter: new Date(NOW.getTime() + 60_000) }, newSecret],
  });
  const signedWith = (secret: string, at: Date) =>
    signVisiwiseWebhook({ secret, payload: BODY, timestamp: at, id: 'msg_rot' });

  it('accepts the old secret until its notAfter, compared with the verification time', () => {
    const at = new Date(NOW.getTime() + 60_000);
    expect(verifier.verify(BODY, signedWith(oldSecret, at), { now: at }).id).toBe('msg_rot');
  });

  it('refuses the old secret after its notAfter, while the new one keeps working', () => {
    const after = new Date(NOW.getTime() + 61_000);
    expect(
      reasonOf(() => verifier.verify(BODY, signedWith(oldSecret, after), { now: after })),
    ).toBe('invalid_signature');
    expect(verifier.verify(BODY, signedWith(newSecret, after), { now: after }).id).toBe('msg_rot');
  });

  it('rejects a notAfter that is not a valid Date at construction', () => {
    expect(
      () =>
        new VisiwiseWebhookVerifier({
          secrets: [newSecret, { secret: oldSecret, notAfter: new Date('nope') }],
        }),
    ).toThrow(new VisiwiseConfigurationError(invalidNotAfterMessage(1, 2)));
  });
});

describe('VisiwiseWebhookVerifier: header limits', () => {
  it('refuses an oversized signature header unparsed, even if a valid signature is in it', () => {
    const secret = generateVisiwiseWebhookSecret();
    const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
    const headers = signVisiwiseWebhook({ secret, payload: BODY, timestamp: NOW });
    const decoy = `v1,${createHmac('sha256', 'x').update('y').digest('base64')}`;
    const padded = `${`${decoy} `.repeat(Math.ceil(MAX_SIGNATURE_HEADER_LENGTH / decoy.length))}${headers['svix-signature']}`;
    expect(padded.length).toBeGreaterThan(MAX_SIGNATURE_HEADER_LENGTH);
    expect(() =>
      verifier.verify(BODY, { ...headers, 'svix-signature': padded }, { now: NOW }),
    ).toThrow(
      new VisiwiseSignatureError(
        'invalid_signature',
        signatureHeaderTooLongMessage(MAX_SIGNATURE_HEADER_LENGTH),
      ),
    );
  });
});

describe('VisiwiseWebhookVerifier: defensive options', () => {
  it('treats null options from JavaScript callers like no options', () => {
    const secret = generateVisiwiseWebhookSecret();
    const headers = signVisiwiseWebhook({ secret, payload: BODY, id: 'msg_null' });
    const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
    expect(verifier.verify(BODY, headers, null as unknown as undefined).id).toBe('msg_null');
  });
});
