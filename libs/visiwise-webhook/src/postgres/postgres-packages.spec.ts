import { missingPackageMessage } from '../delivery/delivery.messages';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import {
  describePostgresUrl,
  loadPg,
  postgresUrlSecrets,
  redactSecrets,
} from './postgres-packages';

describe('pg, an optional peer dependency', () => {
  // pg is installed here; a module factory that throws is what `require` does when it is not.
  const withoutPg = (run: () => void): void => {
    jest.isolateModules(() => {
      jest.doMock('pg', () => {
        throw new Error("Cannot find module 'pg'");
      });
      run();
    });
    jest.dontMock('pg');
  };

  it('is loaded when used', () => {
    expect(typeof loadPg('test').Pool).toBe('function');
  });

  it('when absent, fails with a configuration error naming `npm install pg`', () => {
    withoutPg(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('./postgres-packages') as typeof import('./postgres-packages');
      // The isolated registry has its own copy of the error class.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const errors = require('../signature/visiwise-configuration.error') as {
        VisiwiseConfigurationError: typeof VisiwiseConfigurationError;
      };
      const create = () => isolated.createPgPool('postgres://localhost/x', 'migrateVisiwiseInbox');
      expect(create).toThrow(errors.VisiwiseConfigurationError);
      expect(create).toThrow(missingPackageMessage('pg', 'migrateVisiwiseInbox'));
      expect(missingPackageMessage('pg', 'x')).toContain('npm install pg');
    });
  });

  it('is not needed to load the package: nothing the index imports requires it', () => {
    withoutPg(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const index = require('../index') as typeof import('../index');
      expect(typeof index.PostgresDeliveryLog).toBe('function');
      expect(typeof index.migrateVisiwiseInbox).toBe('function');
    });
  });
});

describe('connection strings in messages', () => {
  const url = 'postgres://app:s3cr%2Ft@db.internal:6543/inbox?password=other&sslmode=require';

  it('are described by host, port and database only', () => {
    expect(describePostgresUrl(url)).toBe('db.internal:6543/inbox');
    expect(describePostgresUrl('postgresql://db')).toBe('db:5432');
    expect(describePostgresUrl('not a url s3cr')).toBe(
      'the configured PostgreSQL URL (unparseable)',
    );
  });

  it('yield their secrets, raw and decoded, for redaction', () => {
    expect(postgresUrlSecrets(url).sort()).toEqual(['other', 's3cr%2Ft', 's3cr/t']);
    expect(postgresUrlSecrets('postgres://app@db/x')).toEqual([]);
    expect(redactSecrets('auth s3cr/t and s3cr%2Ft, other', postgresUrlSecrets(url))).toBe(
      'auth [redacted] and [redacted], [redacted]',
    );
  });
});
