import { ChildProcess, fork } from 'node:child_process';
import { on } from 'node:events';

interface Typed {
  readonly type: string;
}

const live = new Set<ChildProcess>();
// An interrupted run must not leave servers listening: kill the children this runner started,
// each by its own handle (never by name).
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/**
 * A process under test, spoken to over IPC. Every command gets one reply, in order: the replies are
 * read from one buffered iterator of its messages (`events.on`), which ends when the process exits.
 */
export class BenchChild<Command extends Typed, Reply extends Typed> {
  private readonly child: ChildProcess;
  private readonly replies: AsyncIterator<[Reply]>;
  private readonly exited: Promise<void>;

  /** Forks `node <entry>` with an IPC channel; its stdout and stderr are the runner's. */
  constructor(
    private readonly label: string,
    entry: string,
    env: NodeJS.ProcessEnv,
    execArgv: readonly string[],
  ) {
    this.child = fork(entry, [], {
      env: { ...process.env, ...env },
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.child);
    this.replies = on(this.child, 'message', { close: ['exit'] })[
      Symbol.asyncIterator
    ]() as AsyncIterator<[Reply]>;
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        live.delete(this.child);
        resolve();
      });
    });
  }

  /** Sends `command` (or nothing: waits for an unprompted reply) and resolves with the reply. */
  async request<T extends Reply['type']>(
    command: Command | undefined,
    expected: T,
    timeoutMillis = 120_000,
  ): Promise<Extract<Reply, { type: T }>> {
    if (command !== undefined) this.child.send(command);
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      this.replies.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no "${expected}" in ${String(timeoutMillis)} ms`));
        }, timeoutMillis);
      }),
    ]).finally(() => {
      clearTimeout(timer);
    });
    const reply = next.done === true ? undefined : next.value[0];
    if (reply?.type !== expected) {
      throw new Error(
        `${this.label}: expected "${expected}", got ${JSON.stringify(reply ?? 'exit')}`,
      );
    }
    return reply as Extract<Reply, { type: T }>;
  }

  /** Asks the process to shut down; kills it if it is still there after `graceMillis`. */
  async stop(command: Command, graceMillis = 10_000): Promise<void> {
    if (!live.has(this.child)) return;
    this.child.send(command);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMillis);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Sends a reply from a child process to the runner. */
export function sendToParent(message: Typed & object): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) reject(new Error('not started by the bench runner (no IPC channel)'));
    else
      process.send(message, undefined, undefined, (error) => {
        if (error) reject(error);
        else resolve();
      });
  });
}

/** The stack of an error, for a `failed` reply. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
