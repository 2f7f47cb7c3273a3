import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeSigningSecrets } from '../signature/signing-secret';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { CLI_EXIT, CLI_SECRET_ENV } from './cli.constants';
import { CliError } from './cli.error';
import type { CliIo } from './cli-io.interface';
import {
  invalidJsonFileMessage,
  missingSecretMessage,
  unreadableFileMessage,
  unusableSecretMessage,
} from './cli.messages';

/**
 * The secrets from `--secret`, else from VISIWISE_WEBHOOK_SECRET; like the module, a value may list
 * several separated by spaces or commas. Each is validated with the module's own rules, so an
 * unusable secret fails here with the same message the app would print at start (never the secret).
 */
export function resolveSecrets(option: string | undefined, io: CliIo): string[] {
  const value = option ?? io.env[CLI_SECRET_ENV];
  const secrets = (value ?? '').split(/[\s,]+/).filter((part) => part !== '');
  if (secrets.length === 0) {
    throw new CliError(missingSecretMessage(), CLI_EXIT.usage);
  }
  try {
    decodeSigningSecrets(secrets);
  } catch (error) {
    if (error instanceof VisiwiseConfigurationError) {
      throw new CliError(unusableSecretMessage(error.message), CLI_EXIT.usage);
    }
    throw error;
  }
  return secrets;
}

/** The exact bytes of a file, or a usage error naming the file. */
export function readInputFile(what: string, path: string, io: CliIo): Buffer {
  try {
    return readFileSync(resolve(io.cwd, path));
  } catch (error) {
    // Duck-typed: a Node system error (ENOENT, EACCES, EISDIR...) carries a string `code`.
    const code =
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      typeof error.code === 'string'
        ? error.code
        : 'unreadable';
    throw new CliError(unreadableFileMessage(what, path, code), CLI_EXIT.usage);
  }
}

/** A file parsed as JSON, or a usage error naming the file. */
export function readJsonFile(what: string, path: string, io: CliIo): unknown {
  const bytes = readInputFile(what, path, io);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new CliError(invalidJsonFileMessage(what, path), CLI_EXIT.usage);
  }
}

/** Whether a value is a JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replaces every known secret (and its base64 part) with a placeholder. Everything the CLI prints
 * goes through it: a secret echoed back by a server, or mistyped into another argument that an
 * error message repeats, must not reach a terminal or CI log.
 */
export function redactKnownSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) {
    for (const form of [secret.trim(), secret.trim().replace(/^whsec_/, '')]) {
      // Very short values would redact ordinary words; real secrets are far longer.
      if (form.length >= 8) {
        redacted = redacted.split(form).join('[redacted]');
      }
    }
  }
  return redacted;
}

/**
 * Replaces anything shaped like a Svix secret or private key (`whsec_...`, `whsk_...`). Applied to
 * error output, which never has a reason to show one (unlike `secret generate`'s standard output).
 */
export function redactSecretLikeText(text: string): string {
  return text.replace(/\bwh(?:sec|sk)_[A-Za-z0-9+/=_-]+/g, 'whsec_[redacted]');
}

/**
 * An option parser for a whole number >= `minimum`; commander reports a bad value as a usage error
 * naming the option.
 */
export function wholeNumber(message: string, minimum: number): (value: string) => number {
  return (value) => {
    if (!/^[0-9]{1,15}$/.test(value) || Number(value) < minimum) {
      throw new InvalidArgumentError(message);
    }
    return Number(value);
  };
}
