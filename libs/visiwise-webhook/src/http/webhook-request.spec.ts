import { inspect } from 'node:util';
import {
  isJsonContentType,
  isReceivingController,
  markVerified,
  receivesVerifiedDelivery,
  takeVerified,
} from './webhook-request';
import type { VerifiedWebhookRequest } from './webhook-request';
import { resolveEndpoints } from '../endpoints/endpoint-config';
import { generateVisiwiseWebhookSecret } from '../testing/sign-visiwise-webhook';

const verified: VerifiedWebhookRequest = {
  delivery: { id: 'msg_1', timestamp: new Date(0) },
  rawBody: Buffer.from('{}'),
  headers: {},
  parsedBody: {},
  trace: undefined,
  endpoint: resolveEndpoints({ secret: generateVisiwiseWebhookSecret() }, () => [])[0]!,
  tenant: undefined,
};

describe('markVerified / takeVerified', () => {
  it('returns what the guard recorded on that request, and nothing for another', () => {
    const request = { headers: {} };
    markVerified(request, verified);
    expect(takeVerified({ headers: {} })).toBeUndefined();
    expect(takeVerified(request)).toBe(verified);
  });

  it('hands the result over once: a second read finds nothing', () => {
    const request = { headers: {} };
    markVerified(request, verified);
    expect(takeVerified(request)).toBe(verified);
    expect(takeVerified(request)).toBeUndefined();
  });

  it('cannot be satisfied by anything a request body or header could carry', () => {
    // Whatever keys the network controls, parsed JSON included, none is the mark.
    const parsed = JSON.parse(
      '{"verified":{"delivery":{"id":"x"}},"nestjs-visiwise-webhook.verified":true}',
    ) as object;
    const request = { headers: { verified: 'true' }, body: parsed, ...parsed };
    expect(takeVerified(request)).toBeUndefined();
  });

  it('leaves the request itself untouched (nothing for JSON, Object.keys or util.inspect)', () => {
    const request = { headers: {} };
    markVerified(request, verified);
    expect(Reflect.ownKeys(request)).toEqual(['headers']);
    expect(inspect(request)).toBe('{ headers: {} }');
  });
});

describe('receivesVerifiedDelivery / isReceivingController', () => {
  it('is true only for the classes declared to take the hand-off', () => {
    const Declared = function Declared(): void {
      // A controller class stand-in.
    };
    const Other = function Other(): void {
      // Another one.
    };
    receivesVerifiedDelivery(Declared);
    expect(isReceivingController(Declared)).toBe(true);
    expect(isReceivingController(Other)).toBe(false);
    expect(isReceivingController(undefined)).toBe(false);
    expect(isReceivingController('Declared')).toBe(false);
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON ; charset=UTF-8', true],
    [' application/json', true],
    ['application/jsonx', false],
    ['application/vnd.api+json', false],
    ['text/plain', false],
    ['', false],
  ])('%j -> %s', (value, expected) => {
    expect(isJsonContentType({ 'content-type': value })).toBe(expected);
  });

  it('is false without a content type', () => {
    expect(isJsonContentType({})).toBe(false);
  });
});
