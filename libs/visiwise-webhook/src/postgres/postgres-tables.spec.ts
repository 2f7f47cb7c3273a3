import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { invalidIdentifierMessage } from './postgres.messages';
import { InboxTables } from './postgres-tables';

describe('InboxTables', () => {
  it('defaults to "public" and visiwise_, quoting every name', () => {
    const tables = new InboxTables();
    expect(tables.deliveries).toBe('"public"."visiwise_deliveries"');
    expect(tables.migrations).toBe('"public"."visiwise_migrations"');
    expect(tables.attempts).toBe('"public"."visiwise_attempts"');
    expect(tables.claims).toBe('"public"."visiwise_claims"');
    expect(tables.local('claims_expires_idx')).toBe('"visiwise_claims_expires_idx"');
  });

  it('takes a custom schema and prefix', () => {
    const tables = new InboxTables({ schema: 'ops', tablePrefix: 'acme_' });
    expect(tables.claims).toBe('"ops"."acme_claims"');
    expect(tables.name('deliveries')).toBe('acme_deliveries');
  });

  it.each([
    ['schema', 'Public'],
    ['schema', 'pg_temp'],
    ['schema', 'a"; DROP TABLE x; --'],
    ['schema', ''],
    ['schema', '1abc'],
    ['schema', 'x'.repeat(64)],
    ['tablePrefix', 'acme-'],
    ['tablePrefix', ''],
    ['tablePrefix', 'p'.repeat(33)],
    ['tablePrefix', 42],
  ] as const)('refuses %s %j, naming the option', (option, value) => {
    const create = () => new InboxTables({ [option]: value });
    expect(create).toThrow(VisiwiseConfigurationError);
    expect(create).toThrow(invalidIdentifierMessage(option, value, option === 'schema' ? 63 : 32));
  });

  it('accepts names at the length limits', () => {
    expect(
      new InboxTables({ schema: 's'.repeat(63), tablePrefix: 'p'.repeat(32) }).name('migrations'),
    ).toBe(`${'p'.repeat(32)}migrations`);
  });
});
