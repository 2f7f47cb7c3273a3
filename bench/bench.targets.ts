import { REFERENCE_SCENARIO, SUBJECT_SCENARIO } from './bench.scenarios';
import type { AdapterName } from './lib/bench-protocol';
import type {
  HttpComparison,
  HttpRow,
  MicroRow,
  SoakResult,
  TargetResult,
  TargetStatus,
} from './lib/bench-results';
import { MICRO_CONTENDERS } from './micro/micro-contenders';
import { KIB } from './lib/payload';
import { pairedRatio } from './lib/stats';

/*
 * The targets of issue 5, all ratios measured side by side in one run (absolute numbers drift
 * between runs and machines; ratios much less).
 */

const MIB = 1024 * 1024;
/** The endpoint targets are stated for 1 KiB deliveries. */
const TARGET_BODY_BYTES = KIB;

const fixed = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

/** Two decimals, or three when two would round onto the threshold and hide which side it is on. */
const near = (value: number, threshold: number): string =>
  Math.abs(value - threshold) < 0.005 ? fixed(value, 3) : fixed(value);

const signedMib = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${fixed(bytes / MIB, 1)} MB`;

function status(measured: number | undefined, pass: (value: number) => boolean): TargetStatus {
  if (measured === undefined || !Number.isFinite(measured)) {
    return 'NOT RUN';
  }
  return pass(measured) ? 'PASS' : 'FAIL';
}

function microTargets(micro: readonly MicroRow[] | undefined): TargetResult[] {
  const rounds = (name: string, sizeBytes: number): readonly number[] | undefined =>
    micro?.find((row) => row.name === name && row.sizeBytes === sizeBytes)?.rounds;
  const ratio = (other: string, sizeBytes: number): number | undefined => {
    const ours = rounds(MICRO_CONTENDERS.ours, sizeBytes);
    const theirs = rounds(other, sizeBytes);
    return ours === undefined || theirs === undefined ? undefined : pairedRatio(ours, theirs);
  };
  const rows: [string, string, number, number][] = [
    ['verify vs createHmac floor, 1 KiB', MICRO_CONTENDERS.floor, KIB, 0.7],
    ['verify vs createHmac floor, 256 KiB', MICRO_CONTENDERS.floor, 256 * KIB, 0.95],
    ['verify vs standardwebhooks, 1 KiB', MICRO_CONTENDERS.standardwebhooks, KIB, 4],
    ['verify vs standardwebhooks, 256 KiB', MICRO_CONTENDERS.standardwebhooks, 256 * KIB, 15],
  ];
  return rows.map(([target, other, size, minimum]) => {
    const measured = ratio(other, size);
    return {
      target,
      threshold: `>= ${minimum}x`,
      measured: measured === undefined ? 'n/a' : `${near(measured, minimum)}x`,
      status: status(measured, (value) => value >= minimum),
    };
  });
}

function httpTargets(
  rows: readonly HttpRow[] | undefined,
  comparisons: readonly HttpComparison[] | undefined,
): TargetResult[] {
  const comparisonOf = (adapter: AdapterName, subject: string): HttpComparison | undefined =>
    comparisons?.find(
      (entry) =>
        entry.adapter === adapter &&
        entry.bodyBytes === TARGET_BODY_BYTES &&
        entry.subject === subject,
    );
  const comparison = (adapter: AdapterName): HttpComparison | undefined =>
    comparisonOf(adapter, SUBJECT_SCENARIO);
  // What a minimal verifying guard alone keeps of the bare route, in the same run: the ceiling of
  // any receiver that checks the signature in a Nest guard.
  const reference = (adapter: AdapterName): string => {
    const found = comparisonOf(adapter, REFERENCE_SCENARIO);
    return found ? `; minimal verifying guard alone ${fixed(found.throughputRatio)}x` : '';
  };
  const results: TargetResult[] = [];
  for (const [adapter, minimum] of [
    ['express', 0.9],
    ['fastify', 0.8],
  ] as const) {
    const found = comparison(adapter);
    results.push({
      target: `${SUBJECT_SCENARIO} vs bare route, req/s, ${adapter}`,
      threshold: `>= ${minimum}x`,
      measured: found
        ? `${fixed(found.throughputRatio)}x (rounds ${fixed(found.pairedThroughputRatio.min)}-${fixed(found.pairedThroughputRatio.max)}; by CPU ${fixed(found.cpuRatio)}x${reference(adapter)})`
        : 'n/a',
      status: status(found?.throughputRatio, (value) => value >= minimum),
    });
  }
  for (const adapter of ['express', 'fastify'] as const) {
    const found = comparison(adapter);
    results.push({
      target: `${SUBJECT_SCENARIO} vs bare route, p99 latency, ${adapter}`,
      threshold: '<= 2x',
      measured: found ? `${fixed(found.p99Ratio)}x` : 'n/a',
      status: status(found?.p99Ratio, (value) => value <= 2),
    });
  }
  const row = (adapter: AdapterName): HttpRow | undefined =>
    rows?.find(
      (entry) =>
        entry.adapter === adapter &&
        entry.scenario === SUBJECT_SCENARIO &&
        entry.bodyBytes === TARGET_BODY_BYTES,
    );
  const express = row('express');
  const fastify = row('fastify');
  const platformRatio =
    express && fastify
      ? fastify.requestsPerSecond.median / express.requestsPerSecond.median
      : undefined;
  const platformCpuRatio =
    express && fastify
      ? express.cpuMicrosPerDelivery.median / fastify.cpuMicrosPerDelivery.median
      : NaN;
  results.push({
    target: `${SUBJECT_SCENARIO}: Fastify vs Express, req/s`,
    threshold: '>= 2.5x',
    measured:
      platformRatio === undefined
        ? 'n/a'
        : `${fixed(platformRatio)}x (by CPU ${fixed(platformCpuRatio)}x)`,
    status: status(platformRatio, (value) => value >= 2.5),
  });
  for (const adapter of ['express', 'fastify'] as const) {
    const found = comparison(adapter);
    const deltaMib = found ? found.rssDeltaBytes / MIB : undefined;
    results.push({
      target: `${SUBJECT_SCENARIO} vs bare route, peak RSS, ${adapter}`,
      threshold: '<= +30 MB',
      measured: found ? signedMib(found.rssDeltaBytes) : 'n/a',
      status: status(deltaMib, (value) => value <= 30),
    });
  }
  return results;
}

function soakTarget(soak: SoakResult | undefined): TargetResult {
  const target = 'soak: memory bounded by the idempotency store cap';
  if (!soak) {
    return { target, threshold: 'n/a', measured: 'n/a', status: 'NOT RUN' };
  }
  const { store } = soak;
  const storeBytes = store.bytesPerStoredId * store.cap;
  // RSS moves by megabytes with the allocator, whatever the heap does: allow it a floor.
  const heapBound = Math.max(0.1 * storeBytes, MIB);
  const rssBound = Math.max(0.1 * storeBytes, 4 * MIB);
  const threshold =
    `store full (${String(store.cap)} ids): heap <= +${fixed(heapBound / MIB, 1)} MB, ` +
    `RSS <= +${fixed(rssBound / MIB, 1)} MB`;
  const heapAfter = store.heapGrowthAfterCapBytes;
  const rssAfter = store.rssGrowthAfterCapBytes;
  const measured =
    `${fixed(store.bytesPerStoredId, 0)} B per stored id; over the last ` +
    `${String(store.deliveriesAfterCap ?? NaN)} of ${String(soak.deliveries)} deliveries: heap ` +
    `${heapAfter === undefined ? 'n/a' : signedMib(heapAfter)}, RSS ` +
    (rssAfter === undefined ? 'n/a' : signedMib(rssAfter));
  if (heapAfter === undefined || rssAfter === undefined) {
    return {
      target,
      threshold,
      measured: `${measured} (soak too short for its cap)`,
      status: 'NOT RUN',
    };
  }
  return {
    target,
    threshold,
    measured,
    status: heapAfter <= heapBound && rssAfter <= rssBound ? 'PASS' : 'FAIL',
  };
}

export function evaluateTargets(
  micro: readonly MicroRow[] | undefined,
  rows: readonly HttpRow[] | undefined,
  comparisons: readonly HttpComparison[] | undefined,
  soak: SoakResult | undefined,
): TargetResult[] {
  return [...microTargets(micro), ...httpTargets(rows, comparisons), soakTarget(soak)];
}
