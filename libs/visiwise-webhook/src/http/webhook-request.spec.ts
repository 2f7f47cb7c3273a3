import { getVerified, isJsonContentType, markVerified } from './webhook-request';
import type { VerifiedWebhookRequest } from './webhook-request';

const verified: VerifiedWebhookRequest = {
  delivery: { id: 'msg_1', timestamp: new Date(0) },
  rawBody: Buffer.from('{}'),
  parsedBody: {},
};

describe('markVerified / getVerified', () => {
  it('returns what the guard recorded on that request, and nothing for another', () => {
    const request = { headers: {} };
    markVerified(request, verified);
    expect(getVerified(request)).toBe(verified);
    expect(getVerified({ headers: {} })).toBeUndefined();
  });

  it('cannot be satisfied by anything a request body or header could carry', () => {
    // Whatever string keys the network controls, parsed JSON included, none is the mark.
    const parsed = JSON.parse(
      '{"verified":{"delivery":{"id":"x"}},"nestjs-visiwise-webhook.verified":true}',
    ) as object;
    const request = { headers: { verified: 'true' }, body: parsed, ...parsed };
    expect(getVerified(request)).toBeUndefined();
  });

  it('stays out of string-keyed views of the request (JSON, Object.keys)', () => {
    const request = { headers: {} };
    markVerified(request, verified);
    expect(Object.keys(request)).toEqual(['headers']);
    expect(JSON.stringify(request)).toBe('{"headers":{}}');
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
