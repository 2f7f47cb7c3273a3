import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

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
 * A process under test (`node <entry>`, its output the runner's), spoken to over IPC: one command
 * at a time, each answered by one reply.
 */
export class BenchChild<Command extends Typed, Reply extends Typed> {
  private readonly child: ChildProcess;
  private readonly exited: Promise<undefined>;

  constructor(
    private readonly label: string,
    entry: string,
    env: NodeJS.ProcessEnv,
    execArgv: string[],
  ) {
    this.child = fork(entry, [], {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.child);
    this.exited = once(this.child, 'exit').then(() => {
      live.delete(this.child);
      return undefined;
    });
  }

  /** Sends `command` (or nothing: waits for an unprompted reply) and resolves with the reply. */
  async request<T extends Reply['type']>(
    command: Command | undefined,
    expected: T,
    timeoutMillis = 120_000,
  ): Promise<Extract<Reply, { type: T }>> {
    const signal = AbortSignal.timeout(timeoutMillis);
    // Listening before sending: the reply cannot come before the listener.
    const message = once(this.child, 'message', { signal }).then(([reply]) => reply as Reply);
    if (command !== undefined) this.child.send(command);
    const reply = await Promise.race([message, this.exited]).catch((error: unknown) => {
      throw signal.aborted
        ? new Error(`${this.label}: no "${expected}" in ${timeoutMillis} ms`)
        : error;
    });
    if (reply?.type !== expected) {
      const got = JSON.stringify(reply ?? 'exit');
      throw new Error(`${this.label}: expected "${expected}", got ${got}`);
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
