import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

/** What the worker fixture reports over IPC: ready, started <id>, handled <id>. */
export interface WorkerMessage {
  readonly kind: string;
  readonly id?: string;
}

/** A worker process of test/fixtures/queue-worker-process.js and the messages it sent so far. */
export interface QueueWorkerProcess {
  readonly child: ChildProcess;
  readonly messages: WorkerMessage[];
}

/**
 * Forks a queue worker running the built library with `moduleOptions` (secret included):
 * `hang` takes a job and never finishes it (to be SIGKILLed mid-job), `handle` handles jobs.
 * The caller kills it (SIGKILL) after the test.
 */
export function startQueueWorker(
  behaviour: 'hang' | 'handle',
  moduleOptions: Record<string, unknown>,
): QueueWorkerProcess {
  const child = fork(join(__dirname, '../fixtures/queue-worker-process.js'), [], {
    env: {
      ...process.env,
      WORKER_BEHAVIOUR: behaviour,
      WORKER_MODULE_OPTIONS: JSON.stringify(moduleOptions),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: WorkerMessage[] = [];
  child.on('message', (message) => messages.push(message as WorkerMessage));
  return { child, messages };
}
