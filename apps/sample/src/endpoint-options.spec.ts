import { endpointsFromEnv } from './endpoint-options';

describe('endpointsFromEnv (VISIWISE_ENDPOINTS)', () => {
  it('is undefined when unset or blank: the single default endpoint', () => {
    expect(endpointsFromEnv(undefined)).toBeUndefined();
    expect(endpointsFromEnv('  ')).toBeUndefined();
  });

  it('reads name=secret entries, and two secrets for a name listed twice (a rotation)', () => {
    expect(endpointsFromEnv('eu=whsec_A, us=whsec_B,eu=whsec_C')).toEqual({
      eu: { secret: ['whsec_A', 'whsec_C'] },
      us: { secret: ['whsec_B'] },
    });
  });

  it('names the entry and the fix for a malformed one, without repeating any secret', () => {
    const read = () => endpointsFromEnv('eu=whsec_SECRETVALUE,whsec_OTHERSECRET');
    expect(read).toThrow('VISIWISE_ENDPOINTS entry 2 is not name=secret');
    expect(read).not.toThrow(/SECRETVALUE|OTHERSECRET/);
  });
});
