import { Command, Option } from 'commander';
import { performance } from 'node:perf_hooks';
import { EVENT_TYPE_PATTERN } from '../events/events.constants';
import {
  httpPost,
  HttpPostResponse,
  HttpPostTimeoutError,
  targetOfUrl,
} from '../testing/http-post';
import { signVisiwiseWebhook, VisiwiseWebhookHeaders } from '../testing/sign-visiwise-webhook';
import { isJsonObject, readJsonFile, resolveSecrets, wholeNumber } from './cli-input';
import type { CliIo } from './cli-io.interface';
import {
  CLI_EXIT,
  CLI_NAME,
  CliExitCode,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_SEND_URL,
} from './cli.constants';
import { cliVersion } from './cli-version';
import { CliError } from './cli.error';
import {
  answeredLine,
  emptySegmentMessage,
  invalidEventTypeArgumentMessage,
  invalidSecondsMessage,
  invalidTimeoutMessage,
  invalidUrlMessage,
  noSampleMessage,
  notAnObjectFileMessage,
  rejectedDeliveryHint,
  rejectedDeliveryMessage,
  sampleWithDataMessage,
  secretOptionDescription,
  sendDescription,
  sendingLine,
  timeoutMessage,
  unknownSampleMessage,
  unreachableMessage,
} from './cli.messages';
import { EVENT_SAMPLES, samplesOf } from './event-samples';

/** Options of `visiwise-webhook send`, as commander parses them. */
export interface SendCommandOptions {
  url: string;
  secret?: string;
  data?: string;
  sample?: string;
  id?: string;
  timestamp?: number;
  timeout: number;
  endpoint?: string;
  tenant?: string;
}

/**
 * Registers `send <event-type>`: signs a realistic sample event (or the `--data` payload) with
 * the secret and POSTs it like Svix does; prints the request line, status, latency and body.
 */
export function registerSendCommand(
  program: Command,
  io: CliIo,
  report: (code: CliExitCode) => void,
): void {
  const sampleList = Object.entries(EVENT_SAMPLES)
    .map(([type, samples]) => `${type}: ${Object.keys(samples).join(', ')}`)
    .join('; ');
  program
    .command('send')
    .description(sendDescription())
    .argument('<event-type>', 'the event type, e.g. shipment.tracked')
    .option('--url <url>', 'the webhook endpoint', DEFAULT_SEND_URL)
    .option('--secret <secret>', secretOptionDescription())
    .option('--data <file>', "JSON file with the event's data object (default: a realistic sample)")
    .option('--sample <name>', `which built-in sample to send (${sampleList}; default: the first)`)
    .option('--id <svix-id>', 'the delivery id (default: a random msg_...)')
    .option('--endpoint <name>', 'a named endpoint of the module: posts to <url>/<name>')
    .option('--tenant <id>', 'a tenant of a tenant endpoint: posts to <url>[/<endpoint>]/<id>')
    .addOption(
      new Option(
        '--timestamp <seconds>',
        'the signing time in Unix seconds (default: now); also the event time',
      ).argParser(wholeNumber(invalidSecondsMessage(), 0)),
    )
    .addOption(
      new Option('--timeout <ms>', 'how long to wait for the answer')
        .default(DEFAULT_SEND_TIMEOUT_MS)
        .argParser(wholeNumber(invalidTimeoutMessage(), 1)),
    )
    .action(async (type: string, options: SendCommandOptions) => {
      report(await send(type, options, io));
    });
}

async function send(type: string, options: SendCommandOptions, io: CliIo): Promise<CliExitCode> {
  if (!EVENT_TYPE_PATTERN.test(type)) {
    throw new CliError(invalidEventTypeArgumentMessage(), CLI_EXIT.usage);
  }
  const url = withSegments(parseUrl(options.url), [options.endpoint, options.tenant]);
  const secrets = resolveSecrets(options.secret, io);
  const signedAt = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify(envelopeFor(type, options, io, new Date(signedAt * 1000)));
  const headers = signWithEvery(secrets, body, options.id, signedAt);
  const shownUrl = withoutCredentials(url);

  io.stdout(sendingLine(shownUrl, type, headers['svix-id'], Buffer.byteLength(body)));
  // Credentials in the URL are sent as Basic auth, as Svix does for such endpoint URLs.
  const { target, authorization } = targetOfUrl(url);
  const started = performance.now();
  let response: HttpPostResponse;
  try {
    response = await httpPost(
      target,
      {
        'content-type': 'application/json',
        'user-agent': `${CLI_NAME}/${cliVersion()}`,
        ...(authorization === undefined ? {} : { authorization }),
        ...headers,
      },
      body,
      options.timeout,
    );
  } catch (error) {
    if (error instanceof HttpPostTimeoutError) {
      throw new CliError(timeoutMessage(shownUrl, options.timeout), CLI_EXIT.unreachable);
    }
    throw new CliError(unreachableMessage(shownUrl, networkDetail(error)), CLI_EXIT.unreachable);
  }
  const { status, text } = response;
  io.stdout(answeredLine(status, response.statusText, performance.now() - started));
  if (text !== '') {
    io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }
  // Svix counts only 2xx as delivered; it does not follow redirects, so neither do we.
  if (status >= 200 && status < 300) {
    return CLI_EXIT.ok;
  }
  const hint = rejectedDeliveryHint(status);
  throw new CliError(
    rejectedDeliveryMessage(status, reasonOf(text)),
    CLI_EXIT.rejected,
    hint === undefined ? [] : [hint],
  );
}

function parseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(invalidUrlMessage(), CLI_EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(invalidUrlMessage(), CLI_EXIT.usage);
  }
  return url;
}

/** The URL with the endpoint and tenant segments appended (each URL-encoded). */
function withSegments(url: URL, segments: readonly (string | undefined)[]): URL {
  const given = segments.filter((segment): segment is string => segment !== undefined);
  if (given.some((segment) => segment === '')) {
    throw new CliError(emptySegmentMessage(), CLI_EXIT.usage);
  }
  if (given.length > 0) {
    url.pathname = [url.pathname.replace(/\/+$/, ''), ...given.map(encodeURIComponent)].join('/');
  }
  return url;
}

/** The URL to print: credentials in a URL are secrets too. */
function withoutCredentials(url: URL): string {
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  return shown.href;
}

function envelopeFor(type: string, options: SendCommandOptions, io: CliIo, time: Date): object {
  if (options.data !== undefined) {
    if (options.sample !== undefined) {
      throw new CliError(sampleWithDataMessage(), CLI_EXIT.usage);
    }
    const data = readJsonFile('data', options.data, io);
    if (!isJsonObject(data)) {
      throw new CliError(
        notAnObjectFileMessage('data', options.data, "a JSON object (the event's data)"),
        CLI_EXIT.usage,
      );
    }
    return { type, timestamp: time.toISOString(), data };
  }
  const samples = samplesOf(type);
  if (!samples) {
    throw new CliError(noSampleMessage(type, Object.keys(EVENT_SAMPLES)), CLI_EXIT.usage);
  }
  const names = Object.keys(samples);
  const name = options.sample ?? names[0] ?? '';
  const build = samples[name];
  if (!Object.prototype.hasOwnProperty.call(samples, name) || !build) {
    throw new CliError(unknownSampleMessage(type, name, names), CLI_EXIT.usage);
  }
  return build({ timestamp: time });
}

/**
 * Signs with every secret, as Svix does while a sender rotates keys: one `v1,` entry per secret in
 * the same header, all over the same id, timestamp and body.
 */
function signWithEvery(
  secrets: readonly string[],
  body: string,
  id: string | undefined,
  timestamp: number,
): VisiwiseWebhookHeaders {
  const [first, ...others] = secrets;
  const headers = signVisiwiseWebhook({
    secret: first ?? '',
    payload: body,
    timestamp,
    ...(id === undefined ? {} : { id }),
  });
  const signatures = [
    headers['svix-signature'],
    ...others.map(
      (secret) =>
        signVisiwiseWebhook({ secret, payload: body, timestamp, id: headers['svix-id'] })[
          'svix-signature'
        ],
    ),
  ];
  return { ...headers, 'svix-signature': signatures.join(' ') };
}

function networkDetail(error: unknown): string {
  // A socket error's code (ECONNREFUSED, ENOTFOUND, ECONNRESET...) says it all. Duck-typed: Node's
  // errors may come from another realm (e.g. under Jest), where instanceof Error is false.
  if (typeof error === 'object' && error !== null) {
    if ('code' in error && typeof error.code === 'string') {
      return error.code;
    }
    if ('message' in error && typeof error.message === 'string') {
      return error.message;
    }
  }
  return String(error);
}

function reasonOf(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return isJsonObject(body) && typeof body['reason'] === 'string' ? body['reason'] : undefined;
  } catch {
    return undefined;
  }
}
