import fc from 'fast-check';
import {
  KeyObject,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as signEd25519,
  timingSafeEqual,
  verify as verifyEd25519,
} from 'node:crypto';
import { inspect } from 'node:util';
import { DEFAULT_TOLERANCE_SECONDS, MAX_ID_LENGTH } from './signature.constants';
import type { VisiwiseSecretInput } from './signing-secret';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';
import { VisiwiseSignatureError, VisiwiseSignatureFailureReason } from './visiwise-signature.error';
import {
  VerifiedVisiwiseDelivery,
  VisiwiseVerifyOptions,
  VisiwiseWebhookHeaderBag,
  VisiwiseWebhookVerifier,
} from './visiwise-webhook-verifier';

/*
 * Property-based tests of the verifier: whatever the headers, body and secrets, verify() returns
 * only for a genuine signature and otherwise throws the typed error with a declared reason.
 * Every property has a fixed seed (a failure reproduces exactly; fast-check prints the shrunk
 * counterexample) and the keys are derived from fixed labels, so runs are fully deterministic.
 * Signatures are computed here with node:crypto directly, independently of the package's helpers.
 */

// A Record keyed by the union: adding a reason without listing it here fails to compile.
const DECLARED_REASONS: Readonly<Record<VisiwiseSignatureFailureReason, true>> = {
  missing_headers: true,
  invalid_timestamp: true,
  timestamp_too_old: true,
  timestamp_too_new: true,
  invalid_signature: true,
};
const REASONS = Object.keys(DECLARED_REASONS) as VisiwiseSignatureFailureReason[];

const isDeclaredReason = (value: unknown): value is VisiwiseSignatureFailureReason =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(DECLARED_REASONS, value);

// ---------------------------------------------------------------------------------------------
// Deterministic keys
// ---------------------------------------------------------------------------------------------

interface HmacPoolKey {
  readonly kind: 'hmac';
  readonly label: string;
  readonly secret: string;
  readonly key: Buffer;
}

interface Ed25519PoolKey {
  readonly kind: 'ed25519';
  readonly label: string;
  readonly secret: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

type PoolKey = HmacPoolKey | Ed25519PoolKey;

const bytesFrom = (label: string, length: number): Buffer =>
  createHash('sha512').update(`visiwise-fuzz:${label}`).digest().subarray(0, length);

function hmacKey(label: string): HmacPoolKey {
  // 24 bytes, as Svix (and generateVisiwiseWebhookSecret) generate them.
  const key = bytesFrom(label, 24);
  return { kind: 'hmac', label, secret: `whsec_${key.toString('base64')}`, key };
}

// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function ed25519Key(label: string): Ed25519PoolKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, bytesFrom(label, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return {
    kind: 'ed25519',
    label,
    secret: `whpk_${raw.toString('base64')}`,
    privateKey,
    publicKey,
  };
}

/** Keys a verifier may be configured with (active, expired, or left out). */
const POOL: readonly PoolKey[] = [
  hmacKey('hmac-a'),
  hmacKey('hmac-b'),
  hmacKey('hmac-c'),
  ed25519Key('ed-d'),
  ed25519Key('ed-e'),
];
/** Keys that are never configured. */
const OUTSIDERS: readonly PoolKey[] = [hmacKey('outsider-x'), ed25519Key('outsider-y')];

function content(id: string, timestamp: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
}

/** The signature entry a sender holding `key` puts in the header (independent oracle). */
function signatureFor(key: PoolKey, id: string, timestamp: string, body: Buffer): string {
  const signed = content(id, timestamp, body);
  return key.kind === 'hmac'
    ? `v1,${createHmac('sha256', key.key).update(signed).digest('base64')}`
    : `v1a,${signEd25519(null, signed, key.privateKey).toString('base64')}`;
}

/** Whether one header entry is a genuine signature of the content under `key`. */
function entryVerifies(key: PoolKey, signed: Buffer, entry: string): boolean {
  const comma = entry.indexOf(',');
  if (comma < 0) {
    return false;
  }
  const version = entry.slice(0, comma);
  const decoded = Buffer.from(entry.slice(comma + 1), 'base64');
  if (key.kind === 'hmac') {
    const expected = createHmac('sha256', key.key).update(signed).digest();
    return (
      version === 'v1' && decoded.length === expected.length && timingSafeEqual(decoded, expected)
    );
  }
  return (
    version === 'v1a' &&
    decoded.length === 64 &&
    verifyEd25519(null, signed, key.publicKey, decoded)
  );
}

// ---------------------------------------------------------------------------------------------
// Configurations: which pool keys are active, expired or absent, and how each entry is written
// ---------------------------------------------------------------------------------------------

type KeyRole = 'active' | 'expired' | 'absent';
type EntryForm = 'plain' | 'unprefixed' | 'padded' | 'object' | 'object-with-future-notAfter';

interface Configuration {
  readonly entries: VisiwiseSecretInput[];
  readonly active: readonly PoolKey[];
  readonly expired: readonly PoolKey[];
  /** Keys whose signatures must never verify: outsiders and pool keys left out. */
  readonly foreign: readonly PoolKey[];
}

const EARLIEST_NOW = Date.UTC(2001, 0, 1);
const LATEST_NOW = Date.UTC(2099, 0, 1);
const nowMsArb = fc.integer({ min: EARLIEST_NOW, max: LATEST_NOW });

function entryOf(
  key: PoolKey,
  form: EntryForm,
  nowMs: number,
  marginMs: number,
): VisiwiseSecretInput {
  switch (form) {
    case 'plain':
      return key.secret;
    case 'unprefixed':
      // The whsec_ prefix is optional; a public key always keeps its whpk_ prefix.
      return key.kind === 'hmac' ? key.secret.slice('whsec_'.length) : key.secret;
    case 'padded':
      return `  ${key.secret}\n`;
    case 'object':
      return { secret: key.secret };
    case 'object-with-future-notAfter':
      // notAfter === now still verifies (only "now > notAfter" ends a secret).
      return { secret: key.secret, notAfter: new Date(nowMs + marginMs) };
    default: {
      const unreachable: never = form;
      return unreachable;
    }
  }
}

const entryFormArb = fc.constantFrom<EntryForm>(
  'plain',
  'unprefixed',
  'padded',
  'object',
  'object-with-future-notAfter',
);

/** A random configuration with at least one active key, written in random forms and order. */
function configurationArb(nowMs: number): fc.Arbitrary<Configuration> {
  return fc
    .record({
      order: fc.shuffledSubarray([...POOL], { minLength: POOL.length, maxLength: POOL.length }),
      roles: fc
        .array(fc.constantFrom<KeyRole>('active', 'active', 'expired', 'absent'), {
          minLength: POOL.length,
          maxLength: POOL.length,
        })
        .filter((roles) => roles.includes('active')),
      forms: fc.array(entryFormArb, { minLength: POOL.length, maxLength: POOL.length }),
      marginMs: fc.integer({ min: 0, max: 30 * 24 * 3600 * 1000 }),
      expiredAgoMs: fc.integer({ min: 1, max: 30 * 24 * 3600 * 1000 }),
    })
    .map(({ order, roles, forms, marginMs, expiredAgoMs }) => {
      const entries: VisiwiseSecretInput[] = [];
      const active: PoolKey[] = [];
      const expired: PoolKey[] = [];
      const foreign: PoolKey[] = [...OUTSIDERS];
      order.forEach((key, index) => {
        const role = roles[index] ?? 'absent';
        if (role === 'active') {
          active.push(key);
          entries.push(entryOf(key, forms[index] ?? 'plain', nowMs, marginMs));
        } else if (role === 'expired') {
          expired.push(key);
          entries.push({ secret: key.secret, notAfter: new Date(nowMs - expiredAgoMs) });
        } else {
          foreign.push(key);
        }
      });
      // Counterexamples print the configured entries only, not the key objects behind them.
      const show = (): string => `Configuration(${inspect(entries)})`;
      return { entries, active, expired, foreign, [fc.toStringMethod]: show };
    });
}

// ---------------------------------------------------------------------------------------------
// Bodies, ids, header names and signature lists
// ---------------------------------------------------------------------------------------------

/** A body as bytes, and the form it is handed to verify() in. */
interface BodyCase {
  readonly bytes: Buffer;
  readonly passed: Buffer | string;
}

const loneSurrogate = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));
const anyCodeUnits = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: loneSurrogate },
  ),
  maxLength: 300,
});

/** A Uint8Array view into a larger allocation (exercises byteOffset handling). */
function viewOf(bytes: Buffer, offset: number): Buffer {
  const backing = new Uint8Array(new ArrayBuffer(offset + bytes.length + 7));
  backing.set(bytes, offset);
  // A plain Uint8Array, not a Buffer: verify() accepts it at run time; the cast says so.
  return new Uint8Array(backing.buffer, offset, bytes.length) as unknown as Buffer;
}

const bodyArb: fc.Arbitrary<BodyCase> = fc.oneof(
  fc
    .tuple(
      fc.uint8Array({ maxLength: 2048 }),
      fc.constantFrom('buffer', 'view'),
      fc.nat({ max: 9 }),
    )
    .map(([raw, form, offset]) => {
      const bytes = Buffer.from(raw);
      return { bytes, passed: form === 'buffer' ? bytes : viewOf(bytes, offset) };
    }),
  fc
    .tuple(fc.oneof(anyCodeUnits, fc.json({ maxDepth: 3 })), fc.boolean())
    .map(([text, asString]) => {
      // verify() takes a string as UTF-8, so the signed bytes are its UTF-8 encoding.
      const bytes = Buffer.from(text, 'utf8');
      return { bytes, passed: asString ? text : bytes };
    }),
);

const ID_CHAR = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
/** Any id the verifier must accept: 1 to 256 printable ASCII characters without spaces. */
const idArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: ID_CHAR, minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: ID_CHAR, minLength: 200, maxLength: MAX_ID_LENGTH }) },
);

type Family = 'svix' | 'webhook';
const familyArb = fc.constantFrom<Family>('svix', 'webhook');

interface HeaderNames {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
}

/** The three header names of a family, each in a random letter case. */
function namesArb(family: Family): fc.Arbitrary<HeaderNames> {
  return fc.record({
    id: fc.mixedCase(fc.constant(`${family}-id`)),
    timestamp: fc.mixedCase(fc.constant(`${family}-timestamp`)),
    signature: fc.mixedCase(fc.constant(`${family}-signature`)),
  });
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Version labels other than `v1` / `v1a`, including near misses. */
const unknownVersionArb = fc.constantFrom(
  'v0',
  'v2',
  'V1',
  'V1A',
  'V1a',
  'v1A',
  'v2a',
  'v0a',
  'v1b',
  'v10',
  'v1a1',
  'v11',
  'v',
  '',
  'v1;',
  'v1=',
  'v1.',
  'x-v1',
);

/** Signature entries that verify nothing, whatever the body and key. */
const junkEntryArb: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `v1,${b64(bytes)}`),
  fc.uint8Array({ minLength: 64, maxLength: 64 }).map((bytes) => `v1a,${b64(bytes)}`),
  fc
    .tuple(fc.constantFrom('v1', 'v1a'), fc.uint8Array({ maxLength: 96 }))
    .map(([version, bytes]) => `${version},${b64(bytes)}`),
  fc
    .tuple(unknownVersionArb, fc.uint8Array({ maxLength: 96 }))
    .map(([version, bytes]) => `${version},${b64(bytes)}`),
  fc.constantFrom('v1,', 'v1a,', 'v1', ',', ',,,', 'v1,====', 'v1a,@@@@', 'v1,\u0000'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
);

/** Places `valid` among `decoys` at a random position, as one string or split across values. */
function signatureHeaderValue(entries: readonly string[], split: number): string | string[] {
  if (split <= 1 || entries.length < 2) {
    return entries.join(' ');
  }
  const parts: string[] = [];
  const size = Math.ceil(entries.length / split);
  for (let start = 0; start < entries.length; start += size) {
    parts.push(entries.slice(start, start + size).join(' '));
  }
  return parts;
}

function insertAt<T>(list: readonly T[], item: T, position: number): T[] {
  const index = position % (list.length + 1);
  return [...list.slice(0, index), item, ...list.slice(index)];
}

function windowOffset(seed: number, toleranceSeconds: number): number {
  // Any whole second within the window, both directions, both ends included.
  return toleranceSeconds === 0 ? 0 : seed % (toleranceSeconds + 1);
}

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectInvalidSignature(run: () => VerifiedVisiwiseDelivery): void {
  let accepted: VerifiedVisiwiseDelivery | undefined;
  const error = thrownBy(() => {
    accepted = run();
  });
  expect(accepted).toBeUndefined();
  expect(error).toBeInstanceOf(VisiwiseSignatureError);
  expect((error as VisiwiseSignatureError).reason).toBe('invalid_signature');
}

// ---------------------------------------------------------------------------------------------
// Arbitrary (hostile) header bags, bodies and options
// ---------------------------------------------------------------------------------------------

const WEBHOOK_HEADER_NAMES = [
  'svix-id',
  'svix-timestamp',
  'svix-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
] as const;

const headerNameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.mixedCase(fc.constantFrom(...WEBHOOK_HEADER_NAMES)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'content-type',
      'svix_id',
      'svix-id ',
      ' svix-timestamp',
      'svix-signatures',
      'x-svix-signature',
      'svix\u0130d',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'toString',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

const hugeStringArb = fc
  .tuple(
    fc.constantFrom('a', '0', '1 ', 'v1,', 'v1,AAAA ', ' ', '=', '\u00e9', '\ud800', '\u{1f4e6}'),
    fc.integer({ min: 1000, max: 70_000 }),
  )
  .map(([chunk, length]) => chunk.repeat(Math.ceil(length / chunk.length)));

const timestampLikeArb = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 42 }).map(String),
  fc.integer({ min: -1e9, max: 1e13 }).map((n) => ` ${n} `),
  fc.constantFrom(
    '1e9',
    '0x6553f100',
    '1700000000.5',
    '+1700000000',
    '-0',
    '',
    ' ',
    '\u0661\u0662',
  ),
  fc.double().map(String),
);

const stringValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 80 }) },
  { weight: 3, arbitrary: timestampLikeArb },
  { weight: 3, arbitrary: fc.array(junkEntryArb, { maxLength: 40 }).map((list) => list.join(' ')) },
  { weight: 1, arbitrary: hugeStringArb },
);

// Values a header bag can hold only if something other than Node built it.
function hostileValues(): unknown[] {
  return [
    Object.defineProperty({}, 'length', {
      get() {
        throw new Error('length getter');
      },
    }),
    new Proxy(['svix-id'], {
      get() {
        throw new Error('array proxy get');
      },
    }),
    {
      [Symbol.toPrimitive]() {
        throw new Error('toPrimitive');
      },
    },
    // eslint-disable-next-line @typescript-eslint/no-extraneous-class
    class {},
    Symbol('header'),
    BigInt(1700000000),
  ];
}

/**
 * Stands for one of hostileValues() in generated cases, and is swapped for it only when the bag is
 * built: fast-check prints counterexamples, and printing a throwing proxy would throw.
 */
class HostileValueRef {
  constructor(readonly index: number) {}
}

const headerValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: stringValueArb },
  { weight: 3, arbitrary: fc.array(stringValueArb, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.object({ maxDepth: 2 }), fc.array(fc.anything(), { maxLength: 3 })),
  },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: hostileValues().length - 1 })
      .map((index) => new HostileValueRef(index)),
  },
);

/** Header bags no HTTP platform would produce, cast through unknown. */
function hostileBags(): unknown[] {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  return [
    null,
    undefined,
    'svix-id: msg_1',
    42,
    [],
    [['svix-id', 'msg_1']],
    new Map([['svix-id', 'msg_1']]),
    Object.create(null) as object,
    revoked.proxy,
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys trap');
        },
      },
    ),
    new Proxy(
      { 'svix-id': 'msg_1' },
      {
        get() {
          throw new RangeError('get trap');
        },
      },
    ),
    Object.defineProperty({}, 'svix-signature', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    }),
  ];
}

const oddBodyArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    0,
    Number.NaN,
    true,
    {},
    [],
    new ArrayBuffer(8),
    new Uint16Array([1, 2, 3]),
    new DataView(new ArrayBuffer(4)),
    Symbol('body'),
  ),
  fc.anything({ maxDepth: 2 }),
  hugeStringArb,
);

const optionsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nowMsArb.map((ms): VisiwiseVerifyOptions => ({ now: new Date(ms) })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      {},
      { now: new Date(Number.NaN) },
      { now: 'yesterday' },
      { now: 1_700_000_000_000 },
      { now: null },
    ),
  },
);

/**
 * A header object with these own properties, later entries winning. Defined rather than assigned,
 * so that a `__proto__` entry is an own property (as Object.fromEntries makes it), not a prototype.
 */
function bagOf(entries: readonly (readonly [string, unknown])[], nullPrototype: boolean): object {
  const bag = nullPrototype ? (Object.create(null) as object) : {};
  const hostile = hostileValues();
  for (const [name, generated] of entries) {
    const value = generated instanceof HostileValueRef ? hostile[generated.index] : generated;
    Object.defineProperty(bag, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return bag;
}

/** The body's bytes as verify() would read them, if it is a body at all. */
function bytesOf(body: unknown): Buffer | undefined {
  if (typeof body === 'string') {
    return Buffer.from(body, 'utf8');
  }
  if (body instanceof Uint8Array) {
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
  return undefined;
}

/** Every string in a header bag's values (arrays flattened), for the acceptance oracle. */
function headerStrings(headers: Record<string, unknown>): string[] {
  return Object.values(headers).flatMap((value): string[] => {
    if (typeof value === 'string') {
      return [value];
    }
    try {
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    } catch {
      // A hostile array proxy the verifier ignored: it holds no signature either.
      return [];
    }
  });
}

/**
 * Acceptance oracle: a returned delivery must be backed by a signature entry present in the
 * headers that genuinely signs `${id}.${timestamp}.${body}` (with a timestamp string present in
 * the headers) under an active configured key, with the timestamp inside the window.
 */
function genuinelySigned(
  result: VerifiedVisiwiseDelivery,
  body: Buffer,
  headers: Record<string, unknown>,
  configuration: Configuration,
  window: { fromSeconds: number; toSeconds: number },
): boolean {
  const seconds = result.timestamp.getTime() / 1000;
  if (!Number.isInteger(seconds) || seconds < window.fromSeconds || seconds > window.toSeconds) {
    return false;
  }
  const strings = headerStrings(headers);
  const timestamps = strings
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s) && Number(s) === seconds);
  const entries = strings.flatMap((s) => s.split(' ')).map((s) => s.trim());
  return timestamps.some((timestamp) => {
    const signed = content(result.id, timestamp, body);
    return configuration.active.some((key) =>
      entries.some((entry) => entryVerifies(key, signed, entry)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('VisiwiseWebhookVerifier (property-based)', () => {
  it('returns or throws VisiwiseSignatureError with a declared reason, whatever the input', () => {
    const outcomes = new Map<string, number>();
    const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

    const signedPartArb = fc.record({
      family: familyArb,
      id: idArb,
      offsetSeed: fc.nat(),
      signerPick: fc.nat(),
    });
    const caseArb = nowMsArb.chain((nowMs) =>
      fc.record({
        nowMs: fc.constant(nowMs),
        configuration: configurationArb(nowMs),
        tolerance: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
        body: fc.oneof(
          { weight: 6, arbitrary: bodyArb.map((b): unknown => b.passed) },
          { weight: 1, arbitrary: oddBodyArb },
        ),
        signed: fc.option(signedPartArb, { nil: undefined, freq: 4 }),
        noise: fc.array(fc.tuple(headerNameArb, headerValueArb), { maxLength: 6 }),
        container: fc.oneof(
          { weight: 12, arbitrary: fc.constantFrom('plain', 'null-prototype') },
          { weight: 1, arbitrary: fc.constant('hostile') },
        ),
        hostilePick: fc.nat(),
        options: fc.oneof(
          { weight: 4, arbitrary: fc.constant<unknown>({ now: new Date(nowMs) }) },
          { weight: 1, arbitrary: optionsArb },
        ),
      }),
    );

    fc.assert(
      fc.property(caseArb, (c) => {
        const verifier = new VisiwiseWebhookVerifier({
          secrets: c.configuration.entries,
          toleranceSeconds: c.tolerance,
        });
        const tolerance = c.tolerance ?? DEFAULT_TOLERANCE_SECONDS;
        const entries: [string, unknown][] = [];
        const bodyBytes = bytesOf(c.body);
        if (c.signed && bodyBytes) {
          const nowSeconds = Math.floor(c.nowMs / 1000);
          const timestamp = String(nowSeconds + windowOffset(c.signed.offsetSeed, tolerance));
          const signer =
            c.configuration.active[c.signed.signerPick % c.configuration.active.length]!;
          entries.push(
            [`${c.signed.family}-id`, c.signed.id],
            [`${c.signed.family}-timestamp`, timestamp],
            [
              `${c.signed.family}-signature`,
              signatureFor(signer, c.signed.id, timestamp, bodyBytes),
            ],
          );
        }
        // Noise comes last: it may override, shadow or garble the signed headers.
        entries.push(...c.noise);
        const hostile = hostileBags();
        const headers: unknown =
          c.container === 'hostile'
            ? hostile[c.hostilePick % hostile.length]
            : bagOf(entries, c.container === 'null-prototype');

        const before = Date.now();
        let result: VerifiedVisiwiseDelivery | undefined;
        const error = thrownBy(() => {
          result = verifier.verify(
            c.body as Buffer,
            headers as VisiwiseWebhookHeaderBag,
            c.options as VisiwiseVerifyOptions,
          );
        });
        const after = Date.now();

        if (result === undefined) {
          expect(error).toBeInstanceOf(VisiwiseSignatureError);
          const reason = (error as VisiwiseSignatureError).reason;
          expect(isDeclaredReason(reason)).toBe(true);
          expect(typeof (error as VisiwiseSignatureError).message).toBe('string');
          count(reason);
          return;
        }
        count('accepted');
        expect(error).toBeUndefined();
        expect(bodyBytes).toBeDefined();
        const givenNow = (c.options as { now?: unknown } | undefined)?.now;
        const nowRange =
          givenNow instanceof Date && Number.isFinite(givenNow.getTime())
            ? [givenNow.getTime(), givenNow.getTime()]
            : [before, after];
        const window = {
          fromSeconds: Math.floor(nowRange[0]! / 1000) - tolerance,
          toSeconds: Math.floor(nowRange[1]! / 1000) + tolerance,
        };
        expect(
          genuinelySigned(
            result,
            bodyBytes!,
            headers as Record<string, unknown>,
            c.configuration,
            window,
          ),
        ).toBe(true);
      }),
      { seed: 0x5f1c_2025, numRuns: 2500 },
    );

    // The generators must reach every outcome, or the property proves less than it claims.
    for (const outcome of ['accepted', ...REASONS]) {
      expect({ outcome, seen: (outcomes.get(outcome) ?? 0) > 0 }).toEqual({ outcome, seen: true });
    }
  });

  it('never accepts a body that was not signed, whatever the signature list holds', () => {
    type Decoy =
      | { readonly kind: 'junk'; readonly entry: string }
      | { readonly kind: 'foreign-key'; readonly pick: number }
      | { readonly kind: 'expired-key'; readonly pick: number }
      | { readonly kind: 'other-id'; readonly suffix: string }
      | { readonly kind: 'other-timestamp'; readonly delta: number }
      | { readonly kind: 'relabelled'; readonly version: string };

    const decoyArb: fc.Arbitrary<Decoy> = fc.oneof(
      { weight: 3, arbitrary: junkEntryArb.map((entry): Decoy => ({ kind: 'junk', entry })) },
      { weight: 1, arbitrary: fc.nat().map((pick): Decoy => ({ kind: 'foreign-key', pick })) },
      { weight: 1, arbitrary: fc.nat().map((pick): Decoy => ({ kind: 'expired-key', pick })) },
      {
        weight: 1,
        arbitrary: fc
          .string({ unit: ID_CHAR, minLength: 1, maxLength: 4 })
          .map((suffix): Decoy => ({ kind: 'other-id', suffix })),
      },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: -600, max: 600 })
          .filter((delta) => delta !== 0)
          .map((delta): Decoy => ({ kind: 'other-timestamp', delta })),
      },
      {
        weight: 1,
        arbitrary: unknownVersionArb.map((version): Decoy => ({ kind: 'relabelled', version })),
      },
    );

    const caseArb = nowMsArb.chain((nowMs) =>
      fc.record({
        nowMs: fc.constant(nowMs),
        configuration: configurationArb(nowMs),
        signerPick: fc.nat(),
        bodies: fc
          .tuple(bodyArb, bodyArb)
          .filter(([signed, sent]) => !signed.bytes.equals(sent.bytes)),
        id: idArb,
        offsetSeed: fc.nat(),
        family: familyArb,
        decoys: fc.array(decoyArb, { maxLength: 12 }),
        validAt: fc.nat(),
        split: fc.nat({ max: 3 }),
      }),
    );

    fc.assert(
      fc.property(caseArb, (c) => {
        const verifier = new VisiwiseWebhookVerifier({ secrets: c.configuration.entries });
        const { active, expired, foreign } = c.configuration;
        const [signedBody, sentBody] = c.bodies;
        const nowSeconds = Math.floor(c.nowMs / 1000);
        const timestamp = String(
          nowSeconds + windowOffset(c.offsetSeed, DEFAULT_TOLERANCE_SECONDS),
        );
        const signer = active[c.signerPick % active.length]!;
        const validForOther = signatureFor(signer, c.id, timestamp, signedBody.bytes);
        const decoyEntry = (decoy: Decoy): string => {
          switch (decoy.kind) {
            case 'junk':
              return decoy.entry;
            case 'foreign-key':
              return signatureFor(
                foreign[decoy.pick % foreign.length]!,
                c.id,
                timestamp,
                sentBody.bytes,
              );
            case 'expired-key': {
              // Without an expired key configured, an outsider's signature plays the part.
              const pool = expired.length > 0 ? expired : foreign;
              return signatureFor(pool[decoy.pick % pool.length]!, c.id, timestamp, sentBody.bytes);
            }
            case 'other-id':
              return signatureFor(signer, `${c.id}${decoy.suffix}`, timestamp, sentBody.bytes);
            case 'other-timestamp':
              return signatureFor(
                signer,
                c.id,
                String(Number(timestamp) + decoy.delta),
                sentBody.bytes,
              );
            case 'relabelled':
              return `${decoy.version},${validForOther.slice(validForOther.indexOf(',') + 1)}`;
            default: {
              const unreachable: never = decoy;
              return unreachable;
            }
          }
        };
        const list = insertAt(c.decoys.map(decoyEntry), validForOther, c.validAt);
        const headers: VisiwiseWebhookHeaderBag = {
          [`${c.family}-id`]: c.id,
          [`${c.family}-timestamp`]: timestamp,
          [`${c.family}-signature`]: signatureHeaderValue(list, c.split),
        };
        expectInvalidSignature(() =>
          verifier.verify(sentBody.passed, headers, { now: new Date(c.nowMs) }),
        );
      }),
      { seed: 0x0b0d_1e5, numRuns: 1000 },
    );
  });

  it('never accepts a genuine signature under another id, timestamp or version label', () => {
    type Change =
      | { readonly kind: 'id-suffix'; readonly suffix: string }
      | { readonly kind: 'id-truncated'; readonly keep: number }
      | { readonly kind: 'id-case' }
      | { readonly kind: 'timestamp-delta'; readonly delta: number }
      | { readonly kind: 'timestamp-leading-zeros'; readonly zeros: number }
      | { readonly kind: 'relabelled'; readonly version: string };

    const changeArb: fc.Arbitrary<Change> = fc.oneof(
      fc
        .string({ unit: ID_CHAR, minLength: 1, maxLength: 3 })
        .map((suffix): Change => ({ kind: 'id-suffix', suffix })),
      fc.nat().map((keep): Change => ({ kind: 'id-truncated', keep })),
      fc.constant<Change>({ kind: 'id-case' }),
      fc
        .integer({ min: -300, max: 300 })
        .filter((delta) => delta !== 0)
        .map((delta): Change => ({ kind: 'timestamp-delta', delta })),
      fc
        .integer({ min: 1, max: 2 })
        .map((zeros): Change => ({ kind: 'timestamp-leading-zeros', zeros })),
      // Only `v1` (HMAC) and `v1a` (Ed25519) count, each for its own kind of key.
      fc
        .oneof(unknownVersionArb, fc.constantFrom('v1', 'v1a'))
        .map((version): Change => ({ kind: 'relabelled', version })),
    );

    const caseArb = fc
      .record({
        nowMs: nowMsArb,
        body: bodyArb,
        id: idArb,
        change: changeArb,
        signerIndex: fc.nat({ max: POOL.length - 1 }),
      })
      .filter(({ id, change }) => {
        if (change.kind === 'id-truncated') {
          return id.length > 1;
        }
        // Only ids with letters change under a case flip.
        return change.kind !== 'id-case' || id.toUpperCase() !== id.toLowerCase();
      })
      // Relabelling must change the label: `v1` stays `v1` for an HMAC signer.
      .filter(
        ({ change, signerIndex }) =>
          change.kind !== 'relabelled' ||
          change.version !== (POOL[signerIndex]!.kind === 'hmac' ? 'v1' : 'v1a'),
      );

    const verifier = new VisiwiseWebhookVerifier({
      secrets: POOL.map((key) => key.secret),
      // Wide enough for every timestamp change to stay inside it: only the signature decides.
      toleranceSeconds: 1000,
    });

    fc.assert(
      fc.property(caseArb, (c) => {
        const signer = POOL[c.signerIndex]!;
        const timestamp = String(Math.floor(c.nowMs / 1000));
        const signature = signatureFor(signer, c.id, timestamp, c.body.bytes);
        let id = c.id;
        let sentTimestamp = timestamp;
        let sentSignature = signature;
        switch (c.change.kind) {
          case 'id-suffix':
            id = `${c.id}${c.change.suffix}`;
            break;
          case 'id-truncated':
            id = c.id.slice(0, 1 + (c.change.keep % (c.id.length - 1)));
            break;
          case 'id-case':
            id = c.id === c.id.toUpperCase() ? c.id.toLowerCase() : c.id.toUpperCase();
            break;
          case 'timestamp-delta':
            sentTimestamp = String(Number(timestamp) + c.change.delta);
            break;
          case 'timestamp-leading-zeros':
            // Same number, different signed text ("0" + ts): still not what was signed.
            sentTimestamp = `${'0'.repeat(c.change.zeros)}${timestamp}`;
            break;
          case 'relabelled':
            sentSignature = `${c.change.version},${signature.slice(signature.indexOf(',') + 1)}`;
            break;
          default: {
            const unreachable: never = c.change;
            return unreachable;
          }
        }
        expectInvalidSignature(() =>
          verifier.verify(
            c.body.passed,
            { 'svix-id': id, 'svix-timestamp': sentTimestamp, 'svix-signature': sentSignature },
            { now: new Date(c.nowMs) },
          ),
        );
      }),
      { seed: 0x1d_75a3, numRuns: 800 },
    );
  });

  it('accepts what a configured key signed and returns its id and timestamp', () => {
    const caseArb = fc.record({ nowMs: nowMsArb, family: familyArb }).chain(({ nowMs, family }) =>
      fc.record({
        nowMs: fc.constant(nowMs),
        family: fc.constant(family),
        names: namesArb(family),
        configuration: configurationArb(nowMs),
        signerPick: fc.nat(),
        coSigners: fc.boolean(),
        body: bodyArb,
        id: idArb,
        tolerance: fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: undefined }),
        offsetSeed: fc.nat(),
        decoys: fc.array(junkEntryArb, { maxLength: 10 }),
        validAt: fc.nat(),
        split: fc.nat({ max: 3 }),
        shadowedByJunk: fc.boolean(),
      }),
    );

    fc.assert(
      fc.property(caseArb, (c) => {
        const verifier = new VisiwiseWebhookVerifier({
          secrets: c.configuration.entries,
          toleranceSeconds: c.tolerance,
        });
        const tolerance = c.tolerance ?? DEFAULT_TOLERANCE_SECONDS;
        const seconds = Math.floor(c.nowMs / 1000) + windowOffset(c.offsetSeed, tolerance);
        const timestamp = String(seconds);
        const { active, expired } = c.configuration;
        const signer = active[c.signerPick % active.length]!;
        // During a rotation the sender may sign with several keys, and expired keys still sign.
        const others = c.coSigners ? [...active, ...expired].filter((key) => key !== signer) : [];
        const decoys = [
          ...c.decoys,
          ...others.map((key) => signatureFor(key, c.id, timestamp, c.body.bytes)),
        ];
        const list = insertAt(
          decoys,
          signatureFor(signer, c.id, timestamp, c.body.bytes),
          c.validAt,
        );
        const headers: Record<string, string | string[]> = {
          [c.names.id]: c.id,
          [c.names.timestamp]: timestamp,
          [c.names.signature]: signatureHeaderValue(list, c.split),
        };
        if (c.shadowedByJunk && c.family === 'svix') {
          // svix-* headers take precedence: Standard Webhooks headers beside them are ignored.
          Object.assign(headers, {
            'webhook-id': 'junk id',
            'webhook-timestamp': 'never',
            'webhook-signature': 'v1,AAAA',
          });
        }
        const result = verifier.verify(c.body.passed, headers, { now: new Date(c.nowMs) });
        expect(result).toEqual({ id: c.id, timestamp: new Date(seconds * 1000) });
      }),
      { seed: 0xacce_97, numRuns: 1000 },
    );
  });

  it('constructs from any secrets or throws VisiwiseConfigurationError that never repeats them', () => {
    const prefixArb = fc.constantFrom('whsec_', 'whpk_', 'whsk_', 'WHSEC_', 'whsec', 'whsec__', '');
    const badCharArb = fc.constantFrom(
      ' ',
      '\t',
      '\n',
      '"',
      "'",
      '!',
      '.',
      '=',
      '\u00e9',
      '\u0000',
      '%',
    );
    const textArb: fc.Arbitrary<string> = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 120 }),
      fc.tuple(prefixArb, fc.base64String({ maxLength: 120 })).map(([p, s]) => `${p}${s}`),
      fc
        .tuple(prefixArb, fc.uint8Array({ maxLength: 64 }), fc.constantFrom('std', 'url', 'bare'))
        .map(([prefix, bytes, style]) => {
          const encoded = Buffer.from(bytes).toString(style === 'url' ? 'base64url' : 'base64');
          return `${prefix}${style === 'bare' ? encoded.replace(/=+$/, '') : encoded}`;
        }),
      // Right length for an Ed25519 key, random bytes: not every 32 bytes is a curve point.
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `whpk_${b64(bytes)}`),
      fc
        .tuple(prefixArb, fc.base64String({ minLength: 4, maxLength: 80 }), badCharArb, fc.nat())
        .map(([prefix, encoded, bad, at]) => {
          const index = at % (encoded.length + 1);
          return `${prefix}${encoded.slice(0, index)}${bad}${encoded.slice(index)}`;
        }),
      // Long secrets with one bad character at the end: a backtracking regex would hang here.
      fc
        .tuple(prefixArb, fc.integer({ min: 1000, max: 50_000 }), badCharArb)
        .map(([prefix, length, bad]) => `${prefix}${'A'.repeat(length)}${bad}`),
      fc.constantFrom(...POOL.map((key) => key.secret)).map((secret) => ` ${secret} `),
    );
    const entryArb: fc.Arbitrary<unknown> = fc.oneof(
      { weight: 6, arbitrary: textArb },
      {
        weight: 2,
        arbitrary: fc.record(
          {
            secret: fc.oneof(textArb, fc.anything({ maxDepth: 1 })),
            notAfter: fc.oneof(
              fc.date(),
              fc.constant(new Date(Number.NaN)),
              fc.string({ maxLength: 30 }),
              fc.integer(),
            ),
          },
          { requiredKeys: ['secret'] },
        ),
      },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
    );
    const inputArb = fc.record({
      secrets: fc.oneof(entryArb, fc.array(entryArb, { maxLength: 5 })),
      toleranceSeconds: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
    });

    /** Every text the error must not repeat: each secret, trimmed, and without its prefix. */
    const secretTexts = (secrets: unknown): string[] =>
      (Array.isArray(secrets) ? (secrets as unknown[]) : [secrets])
        .map((entry) =>
          typeof entry === 'object' && entry !== null && 'secret' in entry ? entry.secret : entry,
        )
        .filter((text): text is string => typeof text === 'string')
        .flatMap((text) => [text, text.trim(), text.trim().replace(/^wh[a-z]{2,3}_/i, '')])
        .filter((text) => text.length > 8);

    fc.assert(
      fc.property(inputArb, (input) => {
        const texts = secretTexts(input.secrets);
        let verifier: VisiwiseWebhookVerifier | undefined;
        const error = thrownBy(() => {
          verifier = new VisiwiseWebhookVerifier(
            input as unknown as ConstructorParameters<typeof VisiwiseWebhookVerifier>[0],
          );
        });
        if (verifier === undefined) {
          expect(error).toBeInstanceOf(VisiwiseConfigurationError);
          const { message, stack } = error as VisiwiseConfigurationError;
          for (const text of texts) {
            expect(message).not.toContain(text);
            expect(String(stack)).not.toContain(text);
          }
          return;
        }
        expect(error).toBeUndefined();
        const shown = `${inspect(verifier, { showHidden: true, depth: null })}${JSON.stringify(verifier)}`;
        for (const text of texts) {
          expect(shown).not.toContain(text);
        }
      }),
      { seed: 0x5ec_4e7, numRuns: 2000 },
    );
  });
});
