import { ChildProcess, fork } from 'node:child_process';

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
 * A process under test, spoken to over IPC. Every command gets one reply, in order, so a FIFO of
 * waiters is all the bookkeeping needed (plus replies that came before anyone asked: `ready`).
 */
export class BenchChild<Command extends Typed, Reply extends Typed> {
  private readonly waiters: ((reply: Reply | Error) => void)[] = [];
  private readonly early: (Reply | Error)[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  /** Forks `node <entry>` with an IPC channel; its stdout and stderr are the runner's. */
  constructor(label: string, entry: string, env: NodeJS.ProcessEnv, execArgv: readonly string[]) {
    this.child = fork(entry, [], {
      env: { ...process.env, ...env },
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.child);
    const deliver = (reply: Reply | Error): void => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(reply);
      else this.early.push(reply);
    };
    this.child.on('message', (message: Reply) => {
      deliver(
        message.type === 'failed' ? new Error(`${label}: ${JSON.stringify(message)}`) : message,
      );
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        live.delete(this.child);
        deliver(new Error(`${label} exited (code ${String(code)})`));
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
    let timer: NodeJS.Timeout | undefined;
    const reply = await new Promise<Reply | Error>((resolve) => {
      const early = this.early.shift();
      if (early) {
        resolve(early);
        return;
      }
      timer = setTimeout(() => {
        resolve(new Error(`no "${expected}" in ${String(timeoutMillis)} ms`));
      }, timeoutMillis);
      this.waiters.push(resolve);
      if (command !== undefined) this.child.send(command);
    });
    clearTimeout(timer);
    if (reply instanceof Error) throw reply;
    if (reply.type !== expected) throw new Error(`expected "${expected}", got "${reply.type}"`);
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
    if (!process.send) {
      reject(new Error('not started by the bench runner (no IPC channel)'));
      return;
    }
    process.send(message, undefined, undefined, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** The stack of an error, for a `failed` reply. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
