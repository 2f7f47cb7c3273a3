import type { Command } from 'commander';
import type { Queue } from 'bullmq';
import {
  connectRedis,
  createRedisClient,
  describeRedis,
  loadBullMq,
  type RedisClient,
} from '../delivery/optional-packages';
import type { VisiwiseJobData } from '../delivery/queued-event';
import { VisiwiseDeadLetters } from '../delivery/visiwise-dead-letters';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { CliIo } from './cli-io.interface';
import { CLI_EXIT, CliExitCode } from './cli.constants';
import { CliError } from './cli.error';
import {
  failedEventLine,
  missingRedisMessage,
  noFailedEventsMessage,
  replayAllDoneMessage,
  replayDescription,
  replayDoneMessage,
  replayNotFoundMessage,
  replayUsageMessage,
  redisUnreachableCliMessage,
} from './cli.messages';

/** Environment variable `replay` reads the Redis URL from when `--redis` is not given. */
export const CLI_REDIS_ENV = 'REDIS_URL';

const CONNECT_TIMEOUT_MS = 5000;

interface ReplayOptions {
  redis?: string;
  queue?: string;
  endpoint?: string;
  tenant?: string;
  prefix: string;
  all?: boolean;
  list?: boolean;
}

/**
 * Registers `replay`: lists the failed (dead-letter) events of the queue mode, and sends one
 * (`replay <svix-id>`) or all (`--all`) back to the queue with a fresh attempt budget. Works on the
 * same Redis and queue name as the application, from any machine that reaches that Redis.
 */
export function registerReplayCommand(
  program: Command,
  io: CliIo,
  report: (code: CliExitCode) => void,
): void {
  program
    .command('replay')
    .description(replayDescription())
    .argument('[svix-id]', 'delivery id of the failed event to replay')
    .option('--list', 'list the failed events instead of replaying')
    .option('--all', 'replay every failed event')
    .option('--redis <url>', `Redis URL (default: $${CLI_REDIS_ENV})`)
    .option(
      '--queue <name>',
      'queue name (the `queue.name` option; default: visiwise-webhooks, or ' +
        'visiwise-webhooks-<endpoint> with --endpoint)',
    )
    .option('--endpoint <name>', 'the named endpoint whose dead letters to read')
    .option('--tenant <id>', 'the tenant of the delivery to replay, on a tenant endpoint')
    .option('--prefix <prefix>', 'BullMQ key prefix (the `queue.prefix` option)', 'bull')
    .action(async (id: string | undefined, options: ReplayOptions) => {
      const modes = [id !== undefined, options.all === true, options.list === true].filter(Boolean);
      if (modes.length !== 1) {
        throw new CliError(replayUsageMessage(), CLI_EXIT.usage);
      }
      const url = options.redis ?? io.env[CLI_REDIS_ENV];
      if (url === undefined || url === '') {
        throw new CliError(missingRedisMessage(CLI_REDIS_ENV), CLI_EXIT.usage);
      }
      const { queue, client } = await openQueue(url, options);
      try {
        const deadLetters = new VisiwiseDeadLetters(queue, options.endpoint);
        report(await runReplay(deadLetters, id, options, io));
      } finally {
        await queue.close();
        await client.quit().catch(() => undefined);
      }
    });
}

async function runReplay(
  deadLetters: VisiwiseDeadLetters,
  id: string | undefined,
  options: ReplayOptions,
  io: CliIo,
): Promise<CliExitCode> {
  if (options.list) {
    const failed = await deadLetters.list({ limit: 1000 });
    io.stdout(
      failed.length === 0 ? `${noFailedEventsMessage()}\n` : failed.map(failedEventLine).join(''),
    );
    return CLI_EXIT.ok;
  }
  if (options.all) {
    io.stdout(`${replayAllDoneMessage(await deadLetters.replayAll())}\n`);
    return CLI_EXIT.ok;
  }
  if (id !== undefined && (await deadLetters.replay(id, options.tenant))) {
    io.stdout(`${replayDoneMessage(id)}\n`);
    return CLI_EXIT.ok;
  }
  throw new CliError(replayNotFoundMessage(id ?? ''), CLI_EXIT.rejected);
}

async function openQueue(
  url: string,
  options: ReplayOptions,
): Promise<{ queue: Queue<VisiwiseJobData>; client: RedisClient }> {
  let bullmq;
  let client;
  try {
    bullmq = loadBullMq();
    client = createRedisClient(url, { maxRetriesPerRequest: 1 }, 'replay');
  } catch (error) {
    if (error instanceof VisiwiseConfigurationError) {
      throw new CliError(error.message, CLI_EXIT.usage);
    }
    throw error;
  }
  client.on('error', () => undefined);
  try {
    await connectRedis(client, url, CONNECT_TIMEOUT_MS);
  } catch {
    // connectRedis's message names host and port only, never the password of the URL.
    throw new CliError(redisUnreachableCliMessage(describeRedis(url)), CLI_EXIT.unreachable);
  }
  const name =
    options.queue ??
    (options.endpoint === undefined
      ? 'visiwise-webhooks'
      : `visiwise-webhooks-${options.endpoint}`);
  const queue = new bullmq.Queue<VisiwiseJobData>(name, {
    connection: client as never,
    prefix: options.prefix,
  });
  return { queue, client };
}
