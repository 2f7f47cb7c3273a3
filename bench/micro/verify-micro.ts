/*
 * The verify micro-benchmark (tinybench): every contender verifies the same signed delivery with
 * the headers a Node server hands over for a Svix delivery.
 */
import { createHmac } from 'node:crypto';
import { VisiwiseWebhookVerifier } from 'nestjs-visiwise-webhook';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Bench, hrtimeNow } from 'tinybench';
import {
  SVIX_SENDER_HEADERS,
  benchSecret,
  secretKey,
  shipmentTrackedBody,
  svixId,
  svixSignature,
} from '../lib/payload';
import { CONTENDERS, type MicroResult } from '../lib/results';

// Results feed this sink so that no contender's work can be optimised away.
let sink = 0;

function contenders(sizeBytes: number): [string, () => void][] {
  const secret = benchSecret();
  const key = secretKey(secret);
  const body = shipmentTrackedBody(sizeBytes);
  const id = svixId('micro', sizeBytes);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = svixSignature(key, id, timestamp, body);
  const signed = { 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': signature };
  const headers: Record<string, string> = {
    host: '127.0.0.1:3000',
    ...SVIX_SENDER_HEADERS,
    'content-length': String(body.length),
    ...signed,
  };
  // standardwebhooks reads only the unbranded header names.
  const unbranded = {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  };
  const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
  const standard = new StandardWebhook(secret);
  return [
    // Nothing can verify for less than the one HMAC over the signed content, read from the headers.
    [
      CONTENDERS.floor,
      () => {
        const hmac = createHmac('sha256', key).update(
          `${signed['svix-id']}.${signed['svix-timestamp']}.`,
        );
        sink += hmac.update(body).digest()[0] ?? 0;
      },
    ],
    [CONTENDERS.ours, () => (sink += verifier.verify(body, headers).id.length)],
    [
      CONTENDERS.standardwebhooks,
      () => (sink += standard.verify(body, unbranded) === null ? 0 : 1),
    ],
  ];
}

/**
 * Runs `rounds` tinybench rounds per body size, the contenders in a rotating order so that drift
 * in machine speed (shared cores) spreads over all of them; ratios are then taken round by round.
 */
export async function runMicro(
  sizes: readonly number[],
  rounds: number,
  millisPerTask: number,
): Promise<MicroResult[]> {
  const results: { name: string; sizeBytes: number; opsPerSecondByRound: number[] }[] = [];
  for (const sizeBytes of sizes) {
    const tasks = contenders(sizeBytes);
    // tinybench times each call: at 1 KiB a call is ~3 µs, so a batch of calls per timed sample
    // keeps the timer's own cost out of the ratios.
    const batch = Math.max(1, Math.round((32 * 1024) / sizeBytes));
    const rows = tasks.map(([name]) => ({ name, sizeBytes, opsPerSecondByRound: [] as number[] }));
    results.push(...rows);
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({
        now: hrtimeNow,
        time: millisPerTask,
        warmupTime: round === 0 ? millisPerTask : 10,
        throws: true,
      });
      const shift = round % tasks.length;
      for (const [name, run] of [...tasks.slice(shift), ...tasks.slice(0, shift)]) {
        bench.add(name, () => {
          for (let call = 0; call < batch; call++) {
            run();
          }
        });
      }
      await bench.warmup();
      await bench.run();
      for (const task of bench.tasks) {
        rows
          .find((row) => row.name === task.name)
          ?.opsPerSecondByRound.push((task.result?.hz ?? NaN) * batch);
      }
    }
  }
  if (Number.isNaN(sink)) {
    throw new Error('unreachable: keeps the sink observable');
  }
  return results;
}
