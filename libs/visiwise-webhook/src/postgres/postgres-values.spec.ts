import { MAX_ERROR_LENGTH, errorText, jsonb, pgText, positiveCount } from './postgres-values';
import { invalidCountMessage } from './postgres.messages';

describe('values sent to PostgreSQL', () => {
  it('replaces NUL, which text and jsonb refuse', () => {
    expect(pgText('a\0b')).toBe('a\uFFFDb');
    expect(jsonb(['x\0', { y: 'z\0' }])).toBe('["x\uFFFD",{"y":"z\uFFFD"}]');
  });

  it('stores the stack of an error, cut to the maximum length', () => {
    const error = new Error('boom');
    expect(errorText(error)).toBe(error.stack);
    expect(errorText('plain')).toBe('plain');
    const long = errorText('x'.repeat(MAX_ERROR_LENGTH * 3));
    expect(long).toHaveLength(MAX_ERROR_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });

  it('checks counts', () => {
    expect(positiveCount(undefined, 10, 'batchSize')).toBe(10);
    expect(positiveCount(3, 10, 'batchSize')).toBe(3);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => positiveCount(bad, 10, 'batchSize')).toThrow(
        new RangeError(invalidCountMessage('batchSize')),
      );
    }
  });
});
