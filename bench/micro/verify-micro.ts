/*
 * The verify micro-benchmark (tinybench): every contender verifies the same signed delivery with
 * the headers a Node server hands over for a Svix delivery.
 */
import { createHmac } from 'node:crypto';
import { VisiwiseWebhookVerifier } from 'nestjs-visiwise-webhook';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Bench, hrtimeNow } from 'tinybench';
import {
  KIB,
  benchSecret,
  secretKey,
  shipmentTrackedBody,
  svixHeaders,
  svixId,
} from '../lib/payload';
import type { BenchPlan } from '../bench.scenarios';
import { CONTENDERS, type MicroResult } from '../lib/results';

// Results feed this sink so that no contender's work can be optimised away.
let sink = 0;

function contenders(sizeBytes: number): Record<string, () => void> {
  const secret = benchSecret();
  const key = secretKey(secret);
  const body = shipmentTrackedBody(sizeBytes);
  const signed = svixHeaders(key, svixId('micro', sizeBytes), body);
  const headers = { host: '127.0.0.1:3000', 'content-length': String(body.length), ...signed };
  // standardwebhooks reads only the unbranded header names.
  const unbranded = {
    'webhook-id': signed['svix-id'],
    'webhook-timestamp': signed['svix-timestamp'],
    'webhook-signature': signed['svix-signature'],
  };
  const verifier = new VisiwiseWebhookVerifier({ secrets: secret });
  const standard = new StandardWebhook(secret);
  return {
    // Nothing can verify for less than the one HMAC over the signed content, read from the headers.
    [CONTENDERS.floor]: () => {
      const hmac = createHmac('sha256', key);
      hmac.update(`${signed['svix-id']}.${signed['svix-timestamp']}.`);
      sink += hmac.update(body).digest()[0] ?? 0;
    },
    [CONTENDERS.ours]: () => (sink += verifier.verify(body, headers).id.length),
    [CONTENDERS.standardwebhooks]: () =>
      (sink += standard.verify(body, unbranded) === null ? 0 : 1),
  };
}

/**
 * Runs `rounds` tinybench rounds (`millis` per task) per body size, the contenders in a rotating
 * order so that drift in machine speed (shared cores) spreads over all of them; ratios are then
 * taken round by round.
 */
export async function runMicro(plan: BenchPlan['micro']): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const sizeBytes of plan.sizes) {
    const tasks = Object.entries(contenders(sizeBytes));
    const rows = tasks.map(([name]) => ({ name, sizeBytes, opsPerSecondByRound: [] as number[] }));
    results.push(...rows);
    // tinybench times each call: at 1 KiB a call is ~3 µs, so a batch of calls per timed sample
    // keeps the timer's own cost out of the ratios.
    const batch = Math.max(1, Math.round((32 * KIB) / sizeBytes));
    for (let round = 0; round < plan.rounds; round++) {
      const warmupTime = round === 0 ? plan.millis : 10;
      const bench = new Bench({ now: hrtimeNow, time: plan.millis, warmupTime, throws: true });
      const shift = round % tasks.length;
      for (const [name, run] of [...tasks.slice(shift), ...tasks.slice(0, shift)]) {
        bench.add(name, () => {
          for (let call = 0; call < batch; call++) run();
        });
      }
      await bench.warmup();
      await bench.run();
      for (const { name, result } of bench.tasks) {
        const row = rows.find((entry) => entry.name === name);
        row?.opsPerSecondByRound.push((result?.hz ?? NaN) * batch);
      }
    }
  }
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the sink observable');
  return results;
}
