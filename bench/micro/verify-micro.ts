/*
 * Child process: the verify micro-benchmark. Every contender verifies the same signed body; rounds
 * interleave the contenders (in a rotating order) so that drift in machine speed spreads over all
 * of them instead of biasing one.
 */
import { createHmac } from 'node:crypto';
import { VisiwiseWebhookVerifier } from 'nestjs-visiwise-webhook';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { ParentChannel, describeError } from '../lib/bench-child';
import type { MicroCommand, MicroPlan, MicroReply, MicroSample } from '../lib/bench-protocol';
import {
  SVIX_SENDER_HEADERS,
  benchSecret,
  secretKey,
  shipmentTrackedBody,
  svixId,
  svixSignature,
} from '../lib/payload';
import { MICRO_CONTENDERS } from './micro-contenders';

type Contender = readonly [name: string, run: () => number];

// Results feed this sink so that no contender's work can be optimised away.
let sink = 0;

function contendersFor(sizeBytes: number): Contender[] {
  const secret = benchSecret();
  const key = secretKey(secret);
  const body = shipmentTrackedBody(sizeBytes);
  const id = svixId('micro', sizeBytes);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = svixSignature(key, id, timestamp, body);
  // What a Node HTTP server hands over for a Svix delivery: lower-case names, sender headers too.
  const headers: Record<string, string> = {
    host: '127.0.0.1:3000',
    ...SVIX_SENDER_HEADERS,
    'content-length': String(body.length),
    'svix-id': id,
    'svix-timestamp': timestamp,
    'svix-signature': signature,
    connection: 'keep-alive',
  };
  const unbranded: Record<string, string> = {
    ...headers,
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  };
  const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
  const standard = new StandardWebhook(secret);
  const svix = new SvixWebhook(secret);

  // One HMAC over the signed content, read from the headers as a receiver would.
  const signedHmac = (): ReturnType<typeof createHmac> =>
    createHmac('sha256', key)
      .update(`${headers['svix-id'] ?? ''}.${headers['svix-timestamp'] ?? ''}.`)
      .update(body);

  return [
    [MICRO_CONTENDERS.floor, () => signedHmac().digest()[0] ?? 0],
    // The same HMAC read as a string: Node makes the Buffer that digest() returns on its C++ side,
    // at a cost of its own. The verifier reads its HMAC this way; the floor above is the issue's.
    [MICRO_CONTENDERS.floorString, () => signedHmac().digest('binary').length],
    [MICRO_CONTENDERS.ours, () => verifier.verify(body, headers).id.length],
    [
      MICRO_CONTENDERS.oursParse,
      () => {
        const verified = verifier.verify(body, headers);
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        return verified.id.length + (parsed === null ? 0 : 1);
      },
    ],
    [
      MICRO_CONTENDERS.parse,
      () => {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        return parsed === null ? 0 : 1;
      },
    ],
    // Both reference libraries return the parsed payload: their figure includes a JSON.parse.
    [MICRO_CONTENDERS.standardwebhooks, () => (standard.verify(body, unbranded) === null ? 0 : 1)],
    [MICRO_CONTENDERS.svix, () => (svix.verify(body, headers) === null ? 0 : 1)],
  ];
}

function timeBatch(run: () => number, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) {
    sink += run();
  }
  const elapsedNanos = Number(process.hrtime.bigint() - start);
  return (iterations * 1e9) / elapsedNanos;
}

/** Runs `run` for about `millis` ms (warming it up) and returns its rate in ops/s. */
function calibrate(run: () => number, millis: number): number {
  let iterations = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(millis) * 1_000_000n;
  while (process.hrtime.bigint() - start < budget) {
    sink += run();
    iterations++;
  }
  return (iterations * 1e9) / Number(process.hrtime.bigint() - start);
}

function runMicro(plan: MicroPlan): MicroSample[] {
  const suites = plan.sizes.map((sizeBytes) => {
    const contenders = contendersFor(sizeBytes);
    return contenders.map(([name, run]) => {
      const rate = calibrate(run, Math.max(50, plan.batchMillis));
      const iterations = Math.max(3, Math.round((rate * plan.batchMillis) / 1000));
      return { name, sizeBytes, run, iterations, opsPerSecond: [] as number[] };
    });
  });
  for (let round = 0; round < plan.rounds; round++) {
    for (const suite of suites) {
      // Rotate the order every round: no contender always runs first (or right after GC-heavy ones).
      for (let offset = 0; offset < suite.length; offset++) {
        const entry = suite[(offset + round) % suite.length];
        if (entry) {
          entry.opsPerSecond.push(timeBatch(entry.run, entry.iterations));
        }
      }
    }
  }
  return suites.flat().map(({ name, sizeBytes, opsPerSecond, iterations }) => ({
    name,
    sizeBytes,
    opsPerSecond,
    iterationsPerBatch: iterations,
  }));
}

async function main(): Promise<void> {
  let message: MicroReply;
  try {
    const plan = JSON.parse(process.env['BENCH_MICRO'] ?? '') as MicroPlan;
    const samples = runMicro(plan);
    if (Number.isNaN(sink)) {
      throw new Error('unreachable: keeps the sink observable');
    }
    message = { type: 'micro-result', samples };
  } catch (error) {
    message = { type: 'failed', message: describeError(error) };
  }
  await new ParentChannel<{ command: MicroCommand; reply: MicroReply }>().send(message);
  process.disconnect();
}

void main();
