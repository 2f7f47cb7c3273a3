import { ChildProcess, fork } from 'node:child_process';

interface Typed {
  readonly type: string;
}

const live = new Set<ChildProcess>();

// An interrupted run must not leave servers listening: kill the children this runner started,
// each by its own handle (never by name).
process.on('exit', () => {
  for (const child of live) {
    child.kill('SIGKILL');
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

function isTyped(value: unknown): value is Typed {
  return typeof value === 'object' && value !== null && 'type' in value;
}

/**
 * A process under test, spoken to over IPC. Commands are answered one reply each, in order, so a
 * FIFO of waiters is all the bookkeeping needed.
 */
export class BenchChild<Command extends Typed, Reply extends Typed> {
  private readonly waiters: ((reply: Reply | Error) => void)[] = [];
  private readonly early: Reply[] = [];
  private failure: Error | undefined;
  private readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  /** Forks `node <entry>` with an IPC channel; its stdout and stderr are the runner's. */
  constructor(
    readonly label: string,
    entry: string,
    env: NodeJS.ProcessEnv,
    execArgv: readonly string[],
  ) {
    const child: ChildProcess = fork(entry, [], {
      env: { ...process.env, ...env },
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    live.add(child);
    child.on('message', (message: unknown) => {
      if (!isTyped(message)) {
        return;
      }
      const waiter = this.waiters.shift();
      if (waiter) {
        waiter(message as Reply);
      } else {
        this.early.push(message as Reply);
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.failure = new Error(`${label} exited (code ${String(code)}, ${String(signal)})`);
        for (const waiter of this.waiters.splice(0)) {
          waiter(this.failure);
        }
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
    const reply = await new Promise<Reply | Error>((resolve) => {
      const early = this.early.shift();
      if (early) {
        resolve(early);
        return;
      }
      if (this.failure) {
        resolve(this.failure);
        return;
      }
      const timer = setTimeout(() => {
        resolve(new Error(`${this.label}: no "${expected}" within ${String(timeoutMillis)} ms`));
      }, timeoutMillis);
      this.waiters.push((answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      if (command !== undefined) {
        this.child.send(command);
      }
    });
    if (reply instanceof Error) {
      throw reply;
    }
    if (reply.type !== expected) {
      const detail = 'message' in reply ? String(reply.message) : reply.type;
      throw new Error(`${this.label}: expected "${expected}", got ${detail}`);
    }
    return reply as Extract<Reply, { type: T }>;
  }

  /** Asks the process to shut down; kills it if it is still there after `graceMillis`. */
  async stop(command: Command, graceMillis = 10_000): Promise<void> {
    if (this.failure) {
      return;
    }
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
      if (error) {
        reject(error);
      } else {
        resolve();
      }
    });
  });
}

/** The stack of an error, for a `failed` reply. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
