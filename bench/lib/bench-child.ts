import { ChildProcess, fork, spawn } from 'node:child_process';

interface Typed {
  readonly type: string;
}

interface Waiter<Reply> {
  readonly expected: string;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface BenchChildOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly execArgv?: readonly string[];
  /** A command that runs node (e.g. valgrind and its options); the IPC channel still works. */
  readonly wrapper?: readonly string[];
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// A benchmark interrupted half-way must not leave servers listening: kill the children this runner
// started (each by its own handle, never by name).
function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      child.kill('SIGKILL');
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.exit(130);
    });
  }
}

function isTyped(value: unknown): value is Typed {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

/**
 * A child process of the bench (a server under test, the load generator, the micro-benchmark)
 * spoken to over IPC: each command is answered by one reply, in order.
 */
export class BenchChild<Command extends Typed, Reply extends Typed> {
  private readonly waiters: Waiter<Reply>[] = [];
  private readonly unclaimed: Reply[] = [];
  private failure: Error | undefined;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.fail(new Error(`${label} exited (code ${String(code)}, signal ${String(signal)})`));
        resolve(code);
      });
    });
    child.on('message', (message: unknown) => {
      this.onMessage(message);
    });
    child.on('error', (error) => {
      this.fail(error);
    });
  }

  /** Starts `node <entry>` (under `wrapper` if given) with an IPC channel; stdout and stderr are the runner's. */
  static start<C extends Typed, R extends Typed>(
    label: string,
    entry: string,
    options: BenchChildOptions = {},
  ): BenchChild<C, R> {
    installExitHook();
    const env = { ...process.env, ...options.env };
    const execArgv = [...(options.execArgv ?? [])];
    const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
    const [command, ...wrapperArgs] = options.wrapper ?? [];
    const child =
      command === undefined
        ? fork(entry, [], { env, execArgv, stdio })
        : spawn(command, [...wrapperArgs, process.execPath, ...execArgv, entry], { env, stdio });
    return new BenchChild<C, R>(child, label);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a command (or nothing) and waits for the reply of the expected type. */
  request<T extends Reply['type']>(
    command: Command | undefined,
    expected: T,
    timeoutMillis = 120_000,
  ): Promise<Extract<Reply, { type: T }>> {
    return new Promise<Extract<Reply, { type: T }>>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const early = this.unclaimed.shift();
      if (early) {
        this.settle(early, expected, resolve, reject);
        return;
      }
      const timer = setTimeout(() => {
        const index = this.waiters.findIndex((waiter) => waiter.timer === timer);
        if (index >= 0) {
          this.waiters.splice(index, 1);
        }
        reject(new Error(`${this.label}: no "${expected}" within ${timeoutMillis} ms`));
      }, timeoutMillis);
      this.waiters.push({
        expected,
        resolve: (reply) => {
          this.settle(reply, expected, resolve, reject);
        },
        reject,
        timer,
      });
      if (command !== undefined) {
        this.child.send(command);
      }
    });
  }

  /** Asks the child to shut down; kills it if it has not exited after `graceMillis`. */
  async stop(command: Command | undefined, graceMillis = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    if (command !== undefined && this.child.connected) {
      this.child.send(command);
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMillis);
    await this.exited;
    clearTimeout(timer);
  }

  private settle<T extends Reply['type']>(
    reply: Reply,
    expected: T,
    resolve: (reply: Extract<Reply, { type: T }>) => void,
    reject: (error: Error) => void,
  ): void {
    if (reply.type === expected) {
      resolve(reply as Extract<Reply, { type: T }>);
      return;
    }
    const detail =
      reply.type === 'failed' ? String((reply as { message?: unknown }).message) : reply.type;
    reject(new Error(`${this.label}: expected "${expected}", got ${detail}`));
  }

  private onMessage(message: unknown): void {
    if (!isTyped(message)) {
      return;
    }
    const reply = message as Reply;
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    } else {
      this.unclaimed.push(reply);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

/** The messages of one kind of child: the commands it takes and the replies it sends. */
export interface ChildProtocol {
  readonly command: Typed;
  readonly reply: Typed;
}

/** A child's side of the IPC channel: commands from the runner in, replies out. */
export class ParentChannel<P extends ChildProtocol> {
  /** Sends a reply to the runner; resolves once it is handed to the IPC channel. */
  send(message: P['reply'] | { readonly type: 'failed'; readonly message: string }): Promise<void> {
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

  /** Calls `handle` for each command of the runner; a failure is reported as a `failed` reply. */
  onCommand(handle: (command: P['command']) => Promise<void>): void {
    process.on('message', (message: unknown) => {
      if (!isTyped(message)) {
        return;
      }
      handle(message as P['command'])
        .catch((error: unknown) => this.send({ type: 'failed', message: describeError(error) }))
        .catch((error: unknown) => {
          console.error(describeError(error));
          process.exitCode = 1;
        });
    });
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
