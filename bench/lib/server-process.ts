import { ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { BenchServerConfig, ServerCommand, ServerReply, WindowMeasurement } from './results';

const live = new Set<ChildProcess>();
// An interrupted run must not leave servers listening: kill the children this runner started,
// each by its own handle (never by name).
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/**
 * A process under test (apps/bench-server.ts, its output the runner's), spoken to over IPC: one
 * command at a time, each answered by one reply.
 */
export class ServerProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<undefined>;

  constructor(
    private readonly label: string,
    config: BenchServerConfig,
    env: Record<string, string>,
    execArgv: string[],
  ) {
    this.child = fork(join(__dirname, '..', 'apps', 'bench-server.js'), [], {
      env: { ...process.env, BENCH_SERVER: JSON.stringify(config), NODE_ENV: 'production', ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.child);
    this.exited = once(this.child, 'exit').then(() => {
      live.delete(this.child);
      return undefined;
    });
  }

  /** Once the application is up: the port it listens on (0 for a queue worker). */
  async ready(): Promise<number> {
    return (await this.request(undefined, 'ready', 60_000)).port;
  }

  async open(): Promise<void> {
    await this.request({ type: 'start' }, 'started');
  }

  /** Closes the window once `expectHandled` deliveries have reached the handlers (or timed out). */
  async close(expectHandled: number): Promise<WindowMeasurement> {
    return (await this.request({ type: 'stop', expectHandled }, 'stopped')).measurement;
  }

  /** Asks the process to shut down; kills it if it is still there after `graceMillis`. */
  async shutdown(graceMillis = 10_000): Promise<void> {
    if (!live.has(this.child)) return;
    this.child.send({ type: 'shutdown' } satisfies ServerCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMillis);
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends `command` (or nothing: waits for an unprompted reply) and resolves with the reply. */
  private async request<T extends ServerReply['type']>(
    command: ServerCommand | undefined,
    expected: T,
    timeoutMillis = 120_000,
  ): Promise<Extract<ServerReply, { type: T }>> {
    const signal = AbortSignal.timeout(timeoutMillis);
    // Listening before sending: the reply cannot come before the listener.
    const message = once(this.child, 'message', { signal }).then(([reply]) => reply as ServerReply);
    if (command !== undefined) this.child.send(command);
    const reply = await Promise.race([message, this.exited]).catch((error: unknown) => {
      if (!signal.aborted) throw error;
      throw new Error(`${this.label}: no "${expected}" in ${timeoutMillis} ms`);
    });
    if (reply?.type !== expected) {
      const got = JSON.stringify(reply ?? 'exit');
      throw new Error(`${this.label}: expected "${expected}", got ${got}`);
    }
    return reply as Extract<ServerReply, { type: T }>;
  }
}
