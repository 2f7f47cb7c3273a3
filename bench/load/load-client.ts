/*
 * Child process: the load generator (autocannon), kept apart from the servers so that its CPU time
 * is not theirs. Every request carries its own svix-id; for measured runs all of them are signed
 * before the run starts (`prepare`), so that sending one costs the client no HMAC.
 */
import autocannon from 'autocannon';
import { ParentChannel } from '../lib/bench-child';
import type {
  ClientCommand,
  ClientReply,
  LatencySummary,
  LoadPlan,
  LoadResult,
} from '../lib/bench-protocol';
import {
  SVIX_SENDER_HEADERS,
  secretKey,
  shipmentTrackedBody,
  svixId,
  svixSignature,
} from '../lib/payload';
import { sortedQuantile } from '../lib/stats';

interface PreparedRun {
  readonly plan: LoadPlan;
  readonly body: Buffer;
  readonly key: Buffer;
  readonly pool: readonly Record<string, string>[];
}

let prepared: PreparedRun | undefined;

function signedHeaders(run: Omit<PreparedRun, 'pool'>, counter: number): Record<string, string> {
  const id = svixId(run.plan.idPrefix, counter);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    ...SVIX_SENDER_HEADERS,
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': svixSignature(run.key, id, timestamp, run.body),
  };
}

function prepare(plan: LoadPlan): ClientReply {
  const start = process.hrtime.bigint();
  const base = { plan, body: shipmentTrackedBody(plan.bodyBytes), key: secretKey(plan.secret) };
  const pool: Record<string, string>[] = [];
  if (plan.signing === 'pool') {
    for (let counter = 0; counter < plan.poolSize; counter++) {
      pool.push(signedHeaders(base, counter));
    }
  }
  prepared = { ...base, pool };
  const millis = Number(process.hrtime.bigint() - start) / 1e6;
  return { type: 'prepared', poolSize: pool.length, millis };
}

function summarise(latencies: number[]): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const total = latencies.reduce((sum, value) => sum + value, 0);
  return {
    p50: sortedQuantile(sorted, 0.5),
    p90: sortedQuantile(sorted, 0.9),
    p99: sortedQuantile(sorted, 0.99),
    mean: latencies.length > 0 ? total / latencies.length : NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

function run(): Promise<LoadResult> {
  const current = prepared;
  if (!current) {
    return Promise.reject(new Error('run without prepare'));
  }
  prepared = undefined;
  const { plan, body, pool } = current;
  let sent = 0;
  let signedDuringRun = 0;
  const latencies: number[] = [];
  const nextHeaders = (): Record<string, string> => {
    const counter = sent++;
    const pooled = pool[counter];
    if (pooled) {
      return pooled;
    }
    // Never reuse an id (with deduplication, a repeat takes another path): sign past the pool's end.
    signedDuringRun++;
    return signedHeaders(current, counter);
  };

  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${plan.port}`,
        connections: plan.connections,
        pipelining: 1,
        ...(plan.amount === undefined
          ? { duration: plan.durationSeconds }
          : { amount: plan.amount }),
        ...(plan.overallRate === undefined ? {} : { overallRate: plan.overallRate }),
        requests: [
          {
            method: 'POST',
            path: plan.path,
            setupRequest: (request) => ({ ...request, headers: nextHeaders(), body }),
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const elapsedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
        const statusCodes: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
          statusCodes[code] = count;
        }
        resolve({
          ok2xx: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          elapsedSeconds,
          requestsPerSecond: result['2xx'] / elapsedSeconds,
          latencyMillis: summarise(latencies),
          signedDuringRun,
        });
      },
    );
    // autocannon's own histogram keeps whole milliseconds; record each 2xx latency exactly.
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        latencies.push(ms);
      }
    });
  });
}

const parent = new ParentChannel<{ command: ClientCommand; reply: ClientReply }>();

parent.onCommand(async (command) => {
  switch (command.type) {
    case 'prepare':
      await parent.send(prepare(command.plan));
      return;
    case 'run':
      await parent.send({ type: 'ran', result: await run() });
      return;
    case 'shutdown':
      await parent.send({ type: 'shut-down' });
      process.disconnect();
      return;
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
});

void parent.send({ type: 'ready' });
