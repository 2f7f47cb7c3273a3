/*
 * Every message of the PostgreSQL part, shared by the code and its tests. None receives a
 * connection string: where a message names a server it gets host, port and database only.
 */

/** `schema` or `tablePrefix` is not a plain lower-case SQL identifier. */
export const invalidIdentifierMessage = (
  option: 'schema' | 'tablePrefix',
  value: unknown,
  maxLength: number,
): string =>
  `\`${option}\` must be 1 to ${maxLength} characters of a-z, 0-9 and _, not starting with a digit` +
  (option === 'schema' ? ' or pg_' : '') +
  ` (got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value}).`;

/** The store was given no endpoint name to key its rows by. */
export const missingNamespaceMessage = (): string =>
  '`namespace` (the endpoint name) must be a non-empty string: the same delivery id on two ' +
  'endpoints is two deliveries.';

/** A batch size, page size or attempt number that is not a whole number >= 1. */
export const invalidCountMessage = (option: string): string =>
  `\`${option}\` must be a whole number >= 1.`;

/** A time argument that is not a valid Date. */
export const invalidDateMessage = (option: string): string => `\`${option}\` must be a valid Date.`;

/** A table the migrations would create exists, and no applied migration created it. */
export const foreignTableMessage = (table: string, migrationsTable: string): string =>
  `Table ${table} already exists but ${migrationsTable} does not record creating it: it belongs ` +
  'to something else, so it was left untouched and nothing was migrated. Choose another ' +
  '`tablePrefix` (or `schema`) for the Visiwise inbox tables.';

/** A table named like the migrations table exists without its columns. */
export const foreignMigrationsTableMessage = (table: string): string =>
  `Table ${table} exists but is not a Visiwise inbox migrations table (it lacks version, name and ` +
  'applied_at): it was left untouched and nothing was migrated. Choose another `tablePrefix` ' +
  '(or `schema`) for the Visiwise inbox tables.';

/** A migration's SQL failed; it was rolled back. */
export const migrationFailedMessage = (version: number, name: string, reason: string): string =>
  `Visiwise inbox migration ${version} (${name}) failed and was rolled back: ${reason}`;

/** A delivery-log cursor that this package did not produce. */
export const invalidCursorMessage = (): string =>
  'Invalid delivery-log cursor: pass back the `nextCursor` of a previous page unchanged.';

/** The inbox tables are missing or older than this package's migrations. */
export const schemaBehindMessage = (table: string, applied: number, latest: number): string =>
  `The Visiwise inbox tables are at migration ${applied} (${table}), this package needs ` +
  `${latest}: run \`visiwise-webhook inbox migrate --database-url <url>\` at deployment, or set ` +
  '`database: { ..., migrate: true }` to apply them at start.';

/** The database did not answer at start. */
export const databaseUnreachableMessage = (where: string, reason: string): string =>
  `PostgreSQL at ${where} did not answer at start (${reason}): check the \`database\` option ` +
  'and that the server runs.';
