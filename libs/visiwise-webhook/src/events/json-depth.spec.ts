import { jsonDepthExceeds } from './json-depth';

const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

describe('jsonDepthExceeds', () => {
  it('measures object and array nesting', () => {
    expect(jsonDepthExceeds(Buffer.from(nested(5)), 5)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(nested(6)), 5)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('[[[[1]]]]'), 4)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('[[[[[1]]]]]'), 4)).toBe(true);
    // Siblings do not add up.
    expect(jsonDepthExceeds(Buffer.from('[[1],[2],[3],[4],[5],[6]]'), 2)).toBe(false);
  });

  it('ignores brackets inside strings, including escaped quotes', () => {
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: '[[[[[[{{{{{' })), 1)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: 'a"[[[[\\"{{{' })), 1)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: '\\', t: [[1]] })), 2)).toBe(true);
  });

  it('agrees with the nesting JSON.parse produces on realistic payloads', () => {
    const payload = {
      type: 't',
      data: { bl: { containers: [{ vessel: { position: { lat: 1 } } }] } },
    };
    // envelope > data > bl > containers[] > {} > vessel > position = 7 levels
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify(payload, null, 2)), 7)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify(payload)), 6)).toBe(true);
  });
});
