import { inspectJsonValue, jsonDepthExceeds } from './json-depth';

const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
const parse = (text: string): unknown => JSON.parse(text);

describe('jsonDepthExceeds', () => {
  it('measures object and array nesting of the parsed value', () => {
    expect(jsonDepthExceeds(parse(nested(5)), 5)).toBe(false);
    expect(jsonDepthExceeds(parse(nested(6)), 5)).toBe(true);
    expect(jsonDepthExceeds(parse('[[[[1]]]]'), 4)).toBe(false);
    expect(jsonDepthExceeds(parse('[[[[[1]]]]]'), 4)).toBe(true);
    // Siblings do not add up; the deepest branch counts wherever it is.
    expect(jsonDepthExceeds(parse('[[1],[2],[3],[4],[5],[6]]'), 2)).toBe(false);
    expect(jsonDepthExceeds(parse('[[1],[2],[[3]],[4]]'), 2)).toBe(true);
    expect(jsonDepthExceeds(parse('{"a":1,"b":{"c":[]},"d":"x"}'), 3)).toBe(false);
    expect(jsonDepthExceeds(parse('{"a":1,"b":{"c":[]},"d":"x"}'), 2)).toBe(true);
  });

  it('counts containers, not brackets inside strings', () => {
    expect(jsonDepthExceeds(parse(JSON.stringify({ s: '[[[[[[{{{{{' })), 1)).toBe(false);
    expect(jsonDepthExceeds(parse(JSON.stringify({ s: 'a"[[[[\\"{{{' })), 1)).toBe(false);
    expect(jsonDepthExceeds(parse(JSON.stringify({ s: '\\', t: [[1]] })), 2)).toBe(true);
  });

  it('treats primitives as depth 0', () => {
    expect(jsonDepthExceeds(parse('"[[[["'), 1)).toBe(false);
    expect(jsonDepthExceeds(null, 1)).toBe(false);
    expect(jsonDepthExceeds(7, 1)).toBe(false);
  });

  it('agrees with the nesting of realistic payloads', () => {
    const payload = {
      type: 't',
      data: { bl: { containers: [{ vessel: { position: { lat: 1 } } }] } },
    };
    // envelope > data > bl > containers[] > {} > vessel > position = 7 levels
    expect(jsonDepthExceeds(payload, 7)).toBe(false);
    expect(jsonDepthExceeds(payload, 6)).toBe(true);
  });

  it('handles nesting far deeper than the call stack allows, without recursion', () => {
    const depth = 200_000;
    const deep = parse('['.repeat(depth) + ']'.repeat(depth));
    expect(jsonDepthExceeds(deep, depth)).toBe(false);
    expect(jsonDepthExceeds(deep, depth - 1)).toBe(true);
  });

  it('terminates on a cyclic object (reported as too deep)', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(jsonDepthExceeds(cyclic, 32)).toBe(true);
  });
});

describe('inspectJsonValue', () => {
  it('reports own __proto__ and constructor keys at any level, and nothing for clean values', () => {
    expect(inspectJsonValue(JSON.parse('{"a":[{"b":1}],"c":"__proto__"}'), 8)).toBe('clean');
    expect(inspectJsonValue(JSON.parse('{"a":[{"b":{"__proto__":{}}}]}'), 8)).toBe(
      'prototype_keys',
    );
    expect(inspectJsonValue(JSON.parse('{"\\u005f_proto__":1}'), 8)).toBe('prototype_keys');
    expect(inspectJsonValue(JSON.parse('[{"constructor":{"prototype":{}}}]'), 8)).toBe(
      'prototype_keys',
    );
  });

  it('puts the depth limit first: a deep value with prototype keys is too deep', () => {
    expect(inspectJsonValue(JSON.parse('{"__proto__":{},"a":[[[]]]}'), 3)).toBe('too_deep');
  });
});
