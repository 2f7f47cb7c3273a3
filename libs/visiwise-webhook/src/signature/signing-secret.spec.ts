import { decodeSigningSecrets } from './signing-secret';
import { secretNotBase64Message } from './signature.messages';
import { VisiwiseConfigurationError } from './visiwise-configuration.error';

describe('decodeSigningSecrets', () => {
  it('rejects a long secret with one bad character at once (no regex backtracking blow-up)', () => {
    // With an alternation of overlapping classes, this input took exponential time to refuse.
    const secret = `whsec_${'A'.repeat(10_000)}!`;
    expect(() => decodeSigningSecrets(secret)).toThrow(
      new VisiwiseConfigurationError(secretNotBase64Message(0, 1)),
    );
  });

  it('accepts standard and URL-safe base64 alike', () => {
    const bytes = Buffer.from(Array.from({ length: 24 }, (_, i) => 250 - i));
    const standard = bytes.toString('base64');
    const urlSafe = bytes.toString('base64url');
    expect(standard).not.toBe(urlSafe);
    expect(decodeSigningSecrets([`whsec_${standard}`, urlSafe])).toEqual([bytes, bytes]);
  });
});
