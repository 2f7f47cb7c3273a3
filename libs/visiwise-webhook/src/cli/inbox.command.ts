import type { Command } from 'commander';
import type { Pool } from 'pg';
import { migrateVisiwiseInbox } from '../postgres/migrate-visiwise-inbox';
import {
  createPgPool,
  describePostgresUrl,
  postgresUrlSecrets,
  redactSecrets,
} from '../postgres/postgres-packages';
import { InboxTables } from '../postgres/postgres-tables';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { CliIo } from './cli-io.interface';
import { CLI_EXIT, CliExitCode } from './cli.constants';
import { CliError } from './cli.error';
import {
  inboxDescription,
  inboxMigrateDescription,
  inboxMigrateFailedMessage,
  invalidDatabaseUrlMessage,
  migrationsAppliedLine,
  migrationsUpToDateLine,
  missingDatabaseMessage,
  postgresUnreachableCliMessage,
} from './cli.messages';

/** Environment variable `inbox` commands read the database URL from when `--database-url` is not given. */
export const CLI_DATABASE_ENV = 'DATABASE_URL';

const CONNECT_TIMEOUT_MS = 5000;

interface InboxMigrateOptions {
  databaseUrl?: string;
  schema: string;
  tablePrefix: string;
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Registers `inbox migrate`: applies the pending migrations of the inbox tables, as
 * `migrateVisiwiseInbox` does at application start. Prints the versions applied or "up to date".
 * The URL's password never reaches the output: messages name host, port and database, and any
 * text from pg or the server is redacted first.
 */
export function registerInboxCommand(
  program: Command,
  io: CliIo,
  report: (code: CliExitCode) => void,
): void {
  const inbox = program.command('inbox').description(inboxDescription());
  inbox
    .command('migrate')
    .description(inboxMigrateDescription())
    .option('--database-url <url>', `PostgreSQL URL (default: $${CLI_DATABASE_ENV})`)
    .option('--schema <name>', 'schema of the inbox tables (the `schema` option)', 'public')
    .option(
      '--table-prefix <prefix>',
      'prefix of the table names (the `tablePrefix` option)',
      'visiwise_',
    )
    .action(async (options: InboxMigrateOptions) => {
      const url = options.databaseUrl ?? io.env[CLI_DATABASE_ENV];
      if (url === undefined || url === '') {
        throw new CliError(missingDatabaseMessage(CLI_DATABASE_ENV), CLI_EXIT.usage);
      }
      if (!/^postgres(ql)?:\/\//i.test(url) || !URL.canParse(url)) {
        throw new CliError(invalidDatabaseUrlMessage(), CLI_EXIT.usage);
      }
      const tableOptions = { schema: options.schema, tablePrefix: options.tablePrefix };
      try {
        new InboxTables(tableOptions);
      } catch (error) {
        throw new CliError(reasonOf(error), CLI_EXIT.usage);
      }
      const where = describePostgresUrl(url);
      const redact = (text: string): string => redactSecrets(text, postgresUrlSecrets(url));
      const pool = await connect(url, where, redact);
      try {
        const applied = await migrateVisiwiseInbox(pool, tableOptions).catch((error: unknown) => {
          throw new CliError(
            inboxMigrateFailedMessage(where, redact(reasonOf(error))),
            error instanceof VisiwiseConfigurationError ? CLI_EXIT.usage : CLI_EXIT.rejected,
          );
        });
        io.stdout(
          applied.length === 0
            ? migrationsUpToDateLine(where, options.schema, options.tablePrefix)
            : migrationsAppliedLine(applied, where, options.schema, options.tablePrefix),
        );
        report(CLI_EXIT.ok);
      } finally {
        await pool.end().catch(() => undefined);
      }
    });
}

/** A pool of one connection, tried once, so that "cannot connect" is told apart from a failure. */
async function connect(
  url: string,
  where: string,
  redact: (text: string) => string,
): Promise<Pool> {
  let pool: Pool;
  try {
    pool = createPgPool(url, '`visiwise-webhook inbox migrate`', {
      max: 1,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    throw new CliError(redact(reasonOf(error)), CLI_EXIT.usage);
  }
  try {
    (await pool.connect()).release();
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new CliError(
      postgresUnreachableCliMessage(where, redact(reasonOf(error))),
      CLI_EXIT.unreachable,
    );
  }
}
