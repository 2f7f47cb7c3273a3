import { createHash } from 'node:crypto';
import { invalidCountMessage } from './postgres.messages';

/** Longest error text stored: enough for a message and the top of a stack, not a megabyte. */
export const MAX_ERROR_LENGTH = 2000;

/** A whole number >= 1 (the fallback when absent); a RangeError naming the argument otherwise. */
export function positiveCount(value: number | undefined, fallback: number, option: string): number {
  const count = value ?? fallback;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(invalidCountMessage(option));
  }
  return count;
}

/**
 * Text PostgreSQL accepts: `text` and `jsonb` refuse the NUL character, and a value taken from a
 * delivery (its event type, a handler's error about it) must never make recording it fail.
 */
export function pgText(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}

/** Text of a thrown value for the log: the stack when there is one, cut to MAX_ERROR_LENGTH. */
export function errorText(error: unknown): string {
  const text =
    error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return pgText(text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text);
}

/** JSON for a `jsonb` parameter (pg would send a JS array as a PostgreSQL array instead). */
export function jsonb(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'string' ? pgText(item) : item,
  );
}

const statementNames = new Map<string, string>();

/**
 * A named (prepared) statement for a query on the hot path: PostgreSQL parses and plans it once
 * per connection instead of on every delivery, which matters when the database shares the
 * application's cores. The name is derived from the text, so two table prefixes never collide.
 */
export function prepared(text: string): { readonly name: string; readonly text: string } {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `visiwise_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text };
}
