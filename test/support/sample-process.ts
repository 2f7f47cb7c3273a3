import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AdapterName } from './adapters';
import { waitFor } from './redis';

/** The built sample app (`npm run build:sample`), run as an operator runs it. */
const SAMPLE_MAIN = join(__dirname, '../../dist/apps/sample/apps/sample/src/main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

export interface Sample {
  readonly child: ChildProcess;
  readonly url: string;
  output: string;
  readonly exited: Promise<number>;
}

/**
 * Starts the built sample in a process of its own on a free port, with `env` over this process's
 * environment (DATABASE_URL cleared unless given), and waits until it listens.
 */
export async function startSample(
  adapter: AdapterName,
  env: Record<string, string>,
): Promise<Sample> {
  if (!existsSync(SAMPLE_MAIN)) {
    throw new Error(
      'dist/apps/sample is missing: run `npm run build:sample` first (npm test does).',
    );
  }
  const port = await freePort();
  const child = spawn(process.execPath, [SAMPLE_MAIN], {
    // DATABASE_URL (set in CI for the PostgreSQL suites) would put the sample on PostgreSQL.
    env: { ...process.env, DATABASE_URL: '', ...env, PORT: String(port), HTTP_ADAPTER: adapter },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sample: Sample = {
    child,
    url: `http://127.0.0.1:${port}`,
    output: '',
    exited: new Promise((resolve) => {
      child.once('exit', () => {
        resolve(Date.now());
      });
    }),
  };
  const collect = (chunk: Buffer): void => {
    sample.output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  await waitFor(
    () => sample.output.includes('Receiving Visiwise webhooks at'),
    20_000,
    'the sample',
  );
  return sample;
}
