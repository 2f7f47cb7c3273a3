import { CLI_EXIT } from '../libs/visiwise-webhook/src/cli/cli.constants';
import {
  errorLine,
  invalidDatabaseUrlMessage,
  migrationsAppliedLine,
  migrationsUpToDateLine,
  missingDatabaseMessage,
} from '../libs/visiwise-webhook/src/cli/cli.messages';
import { invalidIdentifierMessage } from '../libs/visiwise-webhook/src/postgres/postgres.messages';
import { runCli as cli } from './support/cli';
import { DATABASE_URL, describeWithPostgres, useTestSchema } from './support/postgres';

const PASSWORD = 'hunter2-s3cret';

/** The test database's URL with a password (trust auth ignores it) and maybe another database. */
function withPassword(password: string, database?: string): string {
  const url = new URL(DATABASE_URL);
  url.password = password;
  if (database !== undefined) url.pathname = `/${database}`;
  return url.toString();
}

const where = (() => {
  const url = new URL(DATABASE_URL);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
})();

describe('visiwise-webhook inbox migrate: usage', () => {
  it('is listed with its options', async () => {
    const help = await cli(['inbox', 'migrate', '--help']);
    expect(help.code).toBe(CLI_EXIT.ok);
    for (const option of ['--database-url', '--schema', '--table-prefix', 'DATABASE_URL']) {
      expect(help.stdout).toContain(option);
    }
  });

  it('needs a database URL, and says where to put it', async () => {
    expect(await cli(['inbox', 'migrate'])).toEqual({
      code: CLI_EXIT.usage,
      stdout: '',
      stderr: errorLine(missingDatabaseMessage('DATABASE_URL')),
    });
  });

  it('refuses a URL that is not postgres://, without quoting it', async () => {
    const run = await cli(['inbox', 'migrate'], {
      DATABASE_URL: `mysql://app:${PASSWORD}@127.0.0.1/app`,
    });
    expect(run).toEqual({
      code: CLI_EXIT.usage,
      stdout: '',
      stderr: errorLine(invalidDatabaseUrlMessage()),
    });
  });

  it('refuses an invalid schema or prefix before connecting', async () => {
    const run = await cli([
      'inbox',
      'migrate',
      '--database-url',
      `postgres://app:${PASSWORD}@127.0.0.1:1/app`,
      '--schema',
      'Inbox',
    ]);
    expect(run).toEqual({
      code: CLI_EXIT.usage,
      stdout: '',
      stderr: errorLine(invalidIdentifierMessage('schema', 'Inbox', 63)),
    });
  });

  it('reports an unreachable server with exit 3, never the password (raw or encoded)', async () => {
    for (const password of [PASSWORD, 'p@ss:w/rd-hunter2']) {
      const url = `postgres://app:${encodeURIComponent(password)}@127.0.0.1:1/app`;
      const run = await cli(['inbox', 'migrate', '--database-url', url]);
      expect(run.code).toBe(CLI_EXIT.unreachable);
      expect(run.stderr).toContain('cannot reach PostgreSQL at 127.0.0.1:1/app');
      for (const form of [password, encodeURIComponent(password)]) {
        expect(run.stderr + run.stdout).not.toContain(form);
      }
    }
  });
});

describeWithPostgres('visiwise-webhook inbox migrate (real PostgreSQL)', () => {
  const db = useTestSchema('cli');

  it('applies the migrations once, then reports the tables up to date', async () => {
    const schema = db.another('cli');
    const args = ['inbox', 'migrate', '--schema', schema];
    const env = { DATABASE_URL: withPassword(PASSWORD) };
    expect(await cli(args, env)).toEqual({
      code: CLI_EXIT.ok,
      stdout: migrationsAppliedLine([1], where, schema, 'visiwise_'),
      stderr: '',
    });
    expect(await cli(args, env)).toEqual({
      code: CLI_EXIT.ok,
      stdout: migrationsUpToDateLine(where, schema, 'visiwise_'),
      stderr: '',
    });
    const { rows } = await db.pool.query(
      `SELECT version FROM "${schema}".visiwise_migrations ORDER BY version`,
    );
    expect(rows).toEqual([{ version: 1 }]);
  });

  it('takes --database-url over DATABASE_URL, and a table prefix', async () => {
    const run = await cli(
      [
        'inbox',
        'migrate',
        '--database-url',
        withPassword(PASSWORD),
        '--schema',
        db.name,
        '--table-prefix',
        'acme_',
      ],
      { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing' },
    );
    expect(run).toEqual({
      code: CLI_EXIT.ok,
      stdout: migrationsAppliedLine([1], where, db.name, 'acme_'),
      stderr: '',
    });
  });

  it('names the server error without the password: unknown database, foreign table', async () => {
    const missing = await cli([
      'inbox',
      'migrate',
      '--database-url',
      withPassword(PASSWORD, 'no_such_database_vw'),
    ]);
    expect(missing.code).toBe(CLI_EXIT.unreachable);
    expect(missing.stderr).toContain('no_such_database_vw');
    expect(missing.stderr + missing.stdout).not.toContain(PASSWORD);

    const schema = db.another('cli_foreign');
    await db.pool.query(`CREATE SCHEMA "${schema}"`);
    await db.pool.query(`CREATE TABLE "${schema}".visiwise_deliveries (id int)`);
    const foreign = await cli([
      'inbox',
      'migrate',
      '--database-url',
      withPassword(PASSWORD),
      '--schema',
      schema,
    ]);
    expect(foreign.code).toBe(CLI_EXIT.usage);
    expect(foreign.stderr).toContain(`"${schema}"."visiwise_deliveries"`);
    expect(foreign.stderr).toContain('`tablePrefix`');
    expect(foreign.stderr + foreign.stdout).not.toContain(PASSWORD);
  });
});
