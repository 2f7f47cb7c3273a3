import { Command, Option } from 'commander';
import {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADERS,
  TIMESTAMP_HEADERS,
} from '../signature/signature.constants';
import { VisiwiseSignatureError } from '../signature/visiwise-signature.error';
import {
  VisiwiseWebhookHeaderBag,
  VisiwiseWebhookVerifier,
} from '../signature/visiwise-webhook-verifier';
import {
  isJsonObject,
  readInputFile,
  readJsonFile,
  resolveSecrets,
  wholeNumber,
} from './cli-input';
import type { CliIo } from './cli-io.interface';
import { CLI_EXIT, CliExitCode } from './cli.constants';
import { CliError } from './cli.error';
import {
  headersFileExpectation,
  headersFoundHint,
  invalidToleranceArgumentMessage,
  notAnObjectFileMessage,
  notVerifiedMessage,
  secretOptionDescription,
  signatureCountHint,
  staleCaptureHint,
  trailingNewlineHint,
  verifiedLine,
  verifyDescription,
} from './cli.messages';

/** Options of `visiwise-webhook verify`, as commander parses them. */
export interface VerifyCommandOptions {
  secret?: string;
  headers: string;
  body: string;
  ignoreTimestamp?: boolean;
  tolerance: number;
}

/**
 * Registers `verify`: checks a captured delivery with the package's own verifier (the code the
 * module runs) and, when it fails, says which check and header failed and what usually causes it.
 */
export function registerVerifyCommand(
  program: Command,
  io: CliIo,
  report: (code: CliExitCode) => void,
): void {
  program
    .command('verify')
    .description(verifyDescription())
    .requiredOption(
      '--headers <file>',
      `JSON file of the delivery's headers (${headersFileExpectation()})`,
    )
    .requiredOption('--body <file>', 'file with the exact body bytes received')
    .option('--secret <secret>', secretOptionDescription())
    .option(
      '--ignore-timestamp',
      'check the signature only, not the replay window (captured deliveries are soon stale)',
    )
    .addOption(
      new Option('--tolerance <seconds>', 'accepted clock distance of the timestamp')
        .default(DEFAULT_TOLERANCE_SECONDS)
        .argParser(wholeNumber(invalidToleranceArgumentMessage(), 0)),
    )
    .action((options: VerifyCommandOptions) => {
      report(verify(options, io));
    });
}

function verify(options: VerifyCommandOptions, io: CliIo): CliExitCode {
  const secrets = resolveSecrets(options.secret, io);
  const headers = readHeaders(options.headers, io);
  const body = readInputFile('body', options.body, io);
  const verifier = new VisiwiseWebhookVerifier({ secrets, toleranceSeconds: options.tolerance });
  const signedSeconds = signedTimestampOf(headers);
  // Ignoring the timestamp = verifying "at" the signing time, so the window check always passes.
  const checkTimestamp = options.ignoreTimestamp !== true || signedSeconds === undefined;
  const now = checkTimestamp ? new Date() : new Date(signedSeconds * 1000);
  try {
    const delivery = verifier.verify(body, headers, { now });
    io.stdout(verifiedLine(delivery.id, delivery.timestamp.toISOString(), checkTimestamp));
    return CLI_EXIT.ok;
  } catch (error) {
    if (!(error instanceof VisiwiseSignatureError)) {
      throw error;
    }
    throw new CliError(
      notVerifiedMessage(error.reason, error.message),
      CLI_EXIT.rejected,
      hintsFor(error, { verifier, headers, body, now, signedSeconds, secretCount: secrets.length }),
    );
  }
}

interface Diagnosis {
  verifier: VisiwiseWebhookVerifier;
  headers: VisiwiseWebhookHeaderBag;
  body: Buffer;
  now: Date;
  signedSeconds: number | undefined;
  secretCount: number;
}

function hintsFor(error: VisiwiseSignatureError, diagnosis: Diagnosis): string[] {
  switch (error.reason) {
    case 'missing_headers':
      return [headersFoundHint(Object.keys(diagnosis.headers))];
    case 'invalid_timestamp':
      return [];
    case 'timestamp_too_old':
    case 'timestamp_too_new': {
      const signed = diagnosis.signedSeconds ?? 0;
      const age = Math.floor(diagnosis.now.getTime() / 1000) - signed;
      return [staleCaptureHint(new Date(signed * 1000).toISOString(), age)];
    }
    case 'invalid_signature':
      return [signatureHint(diagnosis)];
    default: {
      const unreachable: never = error.reason;
      return [String(unreachable)];
    }
  }
}

function signatureHint({ verifier, headers, body, now, secretCount }: Diagnosis): string {
  // An editor or `echo >` often adds a final newline the sender never signed: check by verifying
  // the body without it (the verifier does the work; nothing is re-implemented here).
  const trimmed = body.subarray(0, body.length - trailingNewlineLength(body));
  if (trimmed.length < body.length) {
    try {
      verifier.verify(trimmed, headers, { now });
      return trailingNewlineHint();
    } catch {
      // Not the cause; fall through to the general hint.
    }
  }
  const [name, value] = firstHeader(headers, SIGNATURE_HEADERS);
  const v1Count = (value ?? '').split(' ').filter((entry) => entry.startsWith('v1,')).length;
  return signatureCountHint(name, v1Count, secretCount);
}

function trailingNewlineLength(body: Buffer): number {
  if (body.length >= 2 && body[body.length - 2] === 0x0d && body[body.length - 1] === 0x0a) {
    return 2;
  }
  return body.length >= 1 && body[body.length - 1] === 0x0a ? 1 : 0;
}

/** The first header of a family present in the bag (case-insensitive), as name and joined value. */
function firstHeader(
  headers: VisiwiseWebhookHeaderBag,
  names: readonly string[],
): [string, string | undefined] {
  const lowered = new Map(
    Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]),
  );
  for (const name of names) {
    const value = lowered.get(name);
    if (value !== undefined) {
      return [name, typeof value === 'string' ? value : value.join(' ')];
    }
  }
  return [names[0] ?? '', undefined];
}

function signedTimestampOf(headers: VisiwiseWebhookHeaderBag): number | undefined {
  const [, value] = firstHeader(headers, TIMESTAMP_HEADERS);
  const trimmed = value?.trim();
  return trimmed !== undefined && /^[0-9]{1,12}$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** Headers as copied from a delivery log: names to strings (numbers and lists accepted). */
function readHeaders(path: string, io: CliIo): VisiwiseWebhookHeaderBag {
  const parsed = readJsonFile('headers', path, io);
  const invalid = (): CliError =>
    new CliError(notAnObjectFileMessage('headers', path, headersFileExpectation()), CLI_EXIT.usage);
  if (!isJsonObject(parsed)) {
    throw invalid();
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === 'string') {
      headers[name] = value;
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      headers[name] = String(value);
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      headers[name] = value;
    } else {
      throw invalid();
    }
  }
  return headers;
}
