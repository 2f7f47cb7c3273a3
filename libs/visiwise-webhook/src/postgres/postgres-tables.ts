import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { invalidIdentifierMessage } from './postgres.messages';

/** Where the Visiwise inbox tables live in PostgreSQL. */
export interface VisiwisePostgresTableOptions {
  /**
   * Schema of the tables; created by the migrations if missing. A plain lower-case identifier.
   * @default 'public'
   */
  schema?: string;
  /**
   * Prefix of every table name (`<prefix>deliveries`, `<prefix>claims`, ...), so that the tables
   * cannot collide with the application's own. A plain lower-case identifier of up to 32 characters.
   * @default 'visiwise_'
   */
  tablePrefix?: string;
}

/** The tables the migrations create, by their name without the prefix. */
export type InboxTable = 'migrations' | 'deliveries' | 'attempts' | 'claims';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
// PostgreSQL truncates names to 63 bytes. The prefix leaves room for the longest name derived from
// it (an index or an implicit sequence): a silently truncated name could collide with another.
const MAX_SCHEMA_LENGTH = 63;
const MAX_PREFIX_LENGTH = 32;

function identifier(
  option: 'schema' | 'tablePrefix',
  value: unknown,
  fallback: string,
  maxLength: number,
): string {
  const name = value ?? fallback;
  if (
    typeof name !== 'string' ||
    name.length > maxLength ||
    !IDENTIFIER.test(name) ||
    // pg_ names are reserved for system schemas: CREATE SCHEMA refuses them.
    (option === 'schema' && name.startsWith('pg_'))
  ) {
    throw new VisiwiseConfigurationError(invalidIdentifierMessage(option, value, maxLength));
  }
  return name;
}

/**
 * The validated, quoted names of the inbox tables for one `schema` and `tablePrefix`. Names are
 * checked against a strict pattern AND quoted, so that nothing in them is ever read as SQL and
 * PostgreSQL never folds or truncates them.
 */
export class InboxTables {
  /** The schema, unquoted. */
  readonly schema: string;
  /** The table-name prefix, unquoted. */
  readonly tablePrefix: string;
  /** `"schema"`. */
  readonly quotedSchema: string;
  /** `"schema"."<prefix>migrations"`: which migrations ran. */
  readonly migrations: string;
  /** `"schema"."<prefix>deliveries"`: the delivery log. */
  readonly deliveries: string;
  /** `"schema"."<prefix>attempts"`: one row per handling attempt. */
  readonly attempts: string;
  /** `"schema"."<prefix>claims"`: the idempotency store. */
  readonly claims: string;

  constructor(options: VisiwisePostgresTableOptions = {}) {
    this.schema = identifier('schema', options.schema, 'public', MAX_SCHEMA_LENGTH);
    this.tablePrefix = identifier(
      'tablePrefix',
      options.tablePrefix,
      'visiwise_',
      MAX_PREFIX_LENGTH,
    );
    this.quotedSchema = `"${this.schema}"`;
    this.migrations = this.table('migrations');
    this.deliveries = this.table('deliveries');
    this.attempts = this.table('attempts');
    this.claims = this.table('claims');
  }

  /** `<prefix><table>`, unquoted: for catalog lookups. */
  name(table: InboxTable): string {
    return this.tablePrefix + table;
  }

  /** `"schema"."<prefix><table>"`. */
  table(table: InboxTable): string {
    return `${this.quotedSchema}."${this.name(table)}"`;
  }

  /**
   * `"<prefix><suffix>"`, unqualified: the name of an index, which PostgreSQL creates in its
   * table's schema. Suffixes are this package's own constants, never input.
   */
  local(suffix: string): string {
    return `"${this.tablePrefix}${suffix}"`;
  }
}
