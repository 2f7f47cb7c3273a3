import autocannon from 'autocannon';
import { secretKey, shipmentTrackedBody, svixHeaders, svixId } from './payload';
import { quantile, type Round } from './results';

/** One run of load against one server, for `durationSeconds`. */
export interface LoadPlan {
  readonly port: number;
  readonly path: string;
  readonly secret: string;
  readonly bodyBytes: number;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Open-loop rate, requests/s over all connections; unset: as fast as answered. */
  readonly overallRate?: number;
  /** Requests signed before the run starts (the rest are signed as they are sent). */
  readonly presign: number;
}

/** `problems` here: non-2xx answers, socket errors and timeouts. */
export type LoadResult = Pick<
  Round,
  'requestsPerSecond' | 'p50Millis' | 'p99Millis' | 'problems'
> & {
  readonly ok2xx: number;
};

let runSequence = 0;

/**
 * Signs the pool, calls `beforeStart` (the server opens its window), then sends one run of signed
 * deliveries with autocannon, each with its own svix-id (a repeat would take the duplicate path).
 * Signing ahead keeps the HMAC out of the run: the load generator shares the cores with the server.
 */
export async function runLoad(
  plan: LoadPlan,
  beforeStart: () => Promise<unknown>,
): Promise<LoadResult> {
  const body = shipmentTrackedBody(plan.bodyBytes);
  const key = secretKey(plan.secret);
  const prefix = `r${(runSequence++).toString(36)}_${process.pid.toString(36)}_`;
  const sign = (counter: number) => svixHeaders(key, svixId(prefix, counter), body);
  const pool = Array.from({ length: plan.presign }, (_, counter) => sign(counter));
  let sent = 0;
  // autocannon's histogram keeps whole milliseconds, too coarse for a 1-2 ms p99: keep each one.
  const latencies: number[] = [];
  await beforeStart();

  const start = process.hrtime.bigint();
  const run = autocannon({
    url: `http://127.0.0.1:${plan.port}`,
    connections: plan.connections,
    duration: plan.durationSeconds,
    ...(plan.overallRate === undefined ? {} : { overallRate: plan.overallRate }),
    requests: [
      {
        method: 'POST',
        path: plan.path,
        setupRequest: (request) => {
          const counter = sent++;
          return { ...request, headers: pool[counter] ?? sign(counter), body };
        },
      },
    ],
  });
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await run;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    ok2xx: result['2xx'],
    problems: result.non2xx + result.errors + result.timeouts,
    requestsPerSecond: result['2xx'] / seconds,
    p50Millis: quantile(latencies, 0.5),
    p99Millis: quantile(latencies, 0.99),
  };
}
