/*
 * The bench runner (`npm run bench [-- --quick] [-- --profile]`): runs the verify micro-benchmark,
 * the end-to-end HTTP comparison and the soak, each in child processes, then prints the tables and
 * writes bench/results/latest.json and latest.md. See docs/BENCHMARKS.md.
 */
import { Command } from 'commander';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  ADAPTERS,
  BASELINE_SCENARIO,
  BenchPlan,
  FULL_PLAN,
  HTTP_SCENARIOS,
  HttpScenario,
  QUICK_PLAN,
  REDIS_KEY_PREFIX,
  SOAK_ADAPTER,
  REFERENCE_SCENARIO,
  SUBJECT_SCENARIO,
  soakScenario,
} from './bench.scenarios';
import { evaluateTargets } from './bench.targets';
import { BenchChild } from './lib/bench-child';
import type {
  AdapterName,
  BenchServerConfig,
  ClientCommand,
  ClientReply,
  LoadPlan,
  LoadResult,
  MicroCommand,
  MicroPlan,
  MicroReply,
  ServerCommand,
  ServerMeasurement,
  ServerReply,
  SigningMode,
} from './lib/bench-protocol';
import type {
  BenchReport,
  HttpComparison,
  HttpRound,
  FixedRateRow,
  HttpRow,
  InstructionRow,
  MicroRow,
  SoakCheckpoint,
  SoakResult,
} from './lib/bench-results';
import { cleanUpRedis, missingService } from './lib/bench-services';
import {
  callgrindAvailable,
  InstructionCount,
  callgrindWrapper,
  dumpInstructions,
  zeroCounters,
} from './lib/callgrind';
import { currentLoadAverage, machineInfo } from './lib/machine';
import { benchSecret } from './lib/payload';
import { ProfileSummary, summariseProfile } from './lib/profile-summary';
import { renderConsole, renderMarkdown } from './lib/report';
import { pairedRatio, slope, spread } from './lib/stats';
import { MICRO_CONTENDERS } from './micro/micro-contenders';

type Phase = 'micro' | 'http' | 'latency' | 'soak' | 'profile' | 'instructions';
const PHASES: readonly Phase[] = ['micro', 'http', 'latency', 'soak', 'profile', 'instructions'];
/** What runs without --only: the fixed-rate phase would take a quick run past two minutes. */
const DEFAULT_PHASES = { quick: 'micro,http,soak', full: 'micro,http,latency,soak' } as const;

interface RunOptions {
  readonly quick: boolean;
  readonly phases: ReadonlySet<Phase>;
  readonly adapters: readonly AdapterName[];
  readonly plan: BenchPlan;
  readonly out: string;
}

const ROOT = resolve(__dirname, '..', '..');
const SERVER_ENTRY = join(__dirname, 'apps', 'bench-server.js');
const CLIENT_ENTRY = join(__dirname, 'load', 'load-client.js');
const MICRO_ENTRY = join(__dirname, 'micro', 'verify-micro.js');
const ENDPOINT_PATH = 'webhooks/visiwise';
/** The bare route and the module with its defaults: what profiles and latency compare. */
const BASELINE_AND_SUBJECT = HTTP_SCENARIOS.filter(
  (scenario) => scenario.name === BASELINE_SCENARIO || scenario.name === SUBJECT_SCENARIO,
);
/** The same with the minimal verifying guard between them: what instruction counts compare. */
const BASELINE_REFERENCE_AND_SUBJECT = HTTP_SCENARIOS.filter(
  (scenario) =>
    scenario.name === BASELINE_SCENARIO ||
    scenario.name === REFERENCE_SCENARIO ||
    scenario.name === SUBJECT_SCENARIO,
);

type ServerChild = BenchChild<ServerCommand, ServerReply>;
type ClientChild = BenchChild<ClientCommand, ClientReply>;

const log = (message: string): void => {
  console.log(message);
};

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new Error(`${name} must be a positive whole number, not "${value}"`);
  }
  return parsed;
}

function listOf<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${name}: "${item}" is not one of ${allowed.join(', ')}`);
    }
  }
  return items as T[];
}

function parseOptions(argv: readonly string[]): RunOptions {
  const program = new Command()
    .name('npm run bench --')
    .description(
      'Benchmarks of nestjs-visiwise-webhook: ratios against baselines (docs/BENCHMARKS.md).',
    )
    .option('--quick', 'the short run: under two minutes on 2 cores', false)
    .option(
      '--only <phases>',
      `phases to run, of ${PHASES.join(',')} (default: ${DEFAULT_PHASES.full}; quick: ${DEFAULT_PHASES.quick})`,
    )
    .option(
      '--profile',
      'also record CPU profiles of the bare route and the module endpoint',
      false,
    )
    .option(
      '--instructions',
      'also count instructions per request of the bare route and the module under callgrind',
      false,
    )
    .option(
      '--adapters <list>',
      'HTTP platforms (default: HTTP_ADAPTER if set, else both)',
      process.env['HTTP_ADAPTER'] ?? ADAPTERS.join(','),
    )
    .option('--rounds <n>', 'interleaved HTTP rounds per scenario')
    .option('--duration <seconds>', 'length of one HTTP round')
    .option('--soak <deliveries>', 'deliveries in the soak')
    .option('--out <dir>', 'where the results are written', 'bench/results')
    .allowExcessArguments(false);
  program.parse([...argv]);
  const raw = program.opts<{
    quick: boolean;
    only?: string;
    profile: boolean;
    instructions: boolean;
    adapters: string;
    rounds?: string;
    duration?: string;
    soak?: string;
    out: string;
  }>();
  const only = raw.only ?? (raw.quick ? DEFAULT_PHASES.quick : DEFAULT_PHASES.full);
  const phases = new Set(listOf('--only', only, PHASES));
  if (raw.profile) {
    phases.add('profile');
  }
  if (raw.instructions) {
    phases.add('instructions');
  }
  const base = raw.quick ? QUICK_PLAN : FULL_PLAN;
  const plan: BenchPlan = {
    ...base,
    http: {
      ...base.http,
      rounds: positiveInteger('--rounds', raw.rounds) ?? base.http.rounds,
      durationSeconds: positiveInteger('--duration', raw.duration) ?? base.http.durationSeconds,
    },
    soak: { ...base.soak, deliveries: positiveInteger('--soak', raw.soak) ?? base.soak.deliveries },
  };
  return {
    quick: raw.quick,
    phases,
    adapters: listOf('--adapters', raw.adapters, ADAPTERS),
    plan,
    out: resolve(ROOT, raw.out),
  };
}

/**
 * Lets the compiled bench `require('nestjs-visiwise-webhook')` the built package, exactly as an
 * application does, without installing it: dist/bench/node_modules/nestjs-visiwise-webhook points
 * at dist/libs/visiwise-webhook.
 */
function linkLibrary(): void {
  const target = join(ROOT, 'dist', 'libs', 'visiwise-webhook');
  if (!existsSync(join(target, 'index.js'))) {
    throw new Error(`${relative(ROOT, target)} is missing: run \`npm run build\` first`);
  }
  const link = join(__dirname, 'node_modules', 'nestjs-visiwise-webhook');
  mkdirSync(dirname(link), { recursive: true });
  rmSync(link, { force: true, recursive: true });
  symlinkSync(target, link, 'junction');
}

// ---------------------------------------------------------------------------------------------
// verify micro-benchmark

async function runMicroPhase(plan: MicroPlan): Promise<MicroRow[]> {
  log(`[micro] verify at ${plan.sizes.join(', ')} bytes, ${String(plan.rounds)} rounds`);
  const child = BenchChild.start<MicroCommand, MicroReply>('verify micro-benchmark', MICRO_ENTRY, {
    env: { BENCH_MICRO: JSON.stringify(plan) },
  });
  const { samples } = await child.request(undefined, 'micro-result', 600_000);
  await child.exited;
  const floors = new Map(
    samples
      .filter((sample) => sample.name === MICRO_CONTENDERS.floor)
      .map((sample) => [sample.sizeBytes, sample.opsPerSecond]),
  );
  return samples.map((sample) => {
    const opsPerSecond = spread(sample.opsPerSecond);
    return {
      name: sample.name,
      sizeBytes: sample.sizeBytes,
      opsPerSecond,
      microsPerOp: 1e6 / opsPerSecond.median,
      ratioToFloor: pairedRatio(sample.opsPerSecond, floors.get(sample.sizeBytes) ?? []),
      rounds: sample.opsPerSecond,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// servers and load

interface RunningServer {
  readonly scenario: HttpScenario;
  readonly adapter: AdapterName;
  readonly child: ServerChild;
  readonly port: number;
  /** Highest req/s seen: sizes the next run's pool of signed requests. */
  rate: number;
}

async function startServer(
  scenario: HttpScenario,
  adapter: AdapterName,
  secret: string,
  execArgv: readonly string[] = [],
  wrapper?: readonly string[],
): Promise<RunningServer> {
  const instance = `${adapter}-${scenario.name}`;
  const options = scenario.moduleOptions ?? {};
  const config: BenchServerConfig = {
    app: scenario.app,
    secret,
    moduleOptions: typeof options === 'function' ? options(instance) : options,
    path: ENDPOINT_PATH,
  };
  const child: ServerChild = BenchChild.start(`${adapter}/${scenario.name} server`, SERVER_ENTRY, {
    env: { BENCH_SERVER: JSON.stringify(config), HTTP_ADAPTER: adapter, NODE_ENV: 'production' },
    execArgv,
    ...(wrapper ? { wrapper } : {}),
  });
  // Under callgrind a Nest app takes a minute or more to start.
  const { port } = await child.request(undefined, 'ready', wrapper ? 600_000 : 60_000);
  return { scenario, adapter, child, port, rate: 0 };
}

async function stopServer(server: RunningServer): Promise<void> {
  await server.child.stop({ type: 'shutdown' });
}

async function startClient(): Promise<ClientChild> {
  const client: ClientChild = BenchChild.start('load generator', CLIENT_ENTRY);
  await client.request(undefined, 'ready', 30_000);
  return client;
}

let idSequence = 0;

interface LoadHooks {
  /** Runs once the requests are signed, right before the load starts. */
  readonly before?: () => Promise<void>;
  /** Runs right after the load ended. */
  readonly after?: (result: LoadResult) => Promise<void>;
}

/** Signs (when pooled) and sends one run of load; returns the client's result. */
async function load(
  client: ClientChild,
  server: RunningServer,
  secret: string,
  bodyBytes: number,
  connections: number,
  run: { durationSeconds: number; overallRate?: number } | { amount: number },
  signing: SigningMode,
  hooks: LoadHooks = {},
): Promise<LoadResult> {
  const expected =
    'amount' in run ? run.amount : Math.max(server.rate, 2_000) * run.durationSeconds * 1.4 + 1_000;
  const plan: LoadPlan = {
    port: server.port,
    path: `/${ENDPOINT_PATH}`,
    secret,
    bodyBytes,
    connections,
    ...run,
    signing,
    poolSize: signing === 'pool' ? Math.ceil(expected) : 0,
    idPrefix: `b${(idSequence++).toString(36)}_`,
  };
  await client.request({ type: 'prepare', plan }, 'prepared');
  await hooks.before?.();
  const { result } = await client.request({ type: 'run' }, 'ran', 600_000);
  await hooks.after?.(result);
  server.rate = Math.max(server.rate, result.requestsPerSecond);
  return result;
}

/**
 * What makes a series of runs suspect: answers other than 2xx, socket errors, and deliveries the
 * server handled that the client did not see answered (a few are normal: requests in flight when a
 * timed run stops are handled but not counted).
 */
/** Ends a measured window once every delivery answered 2xx has reached the handlers. */
function stopAfter(result: LoadResult): ServerCommand {
  return { type: 'measure-stop', expectHandled: result.ok2xx, drainTimeoutMillis: 10_000 };
}

/** Medians and spreads of a series of measured rounds of one server, and what makes them suspect. */
function summariseRounds(
  measured: readonly HttpRound[],
  connections: number,
): Pick<
  HttpRow,
  'requestsPerSecond' | 'p50Millis' | 'p99Millis' | 'cpuMicrosPerDelivery' | 'problems'
> {
  return {
    requestsPerSecond: spread(measured.map((entry) => entry.load.requestsPerSecond)),
    p50Millis: spread(measured.map((entry) => entry.load.latencyMillis.p50)),
    p99Millis: spread(measured.map((entry) => entry.load.latencyMillis.p99)),
    cpuMicrosPerDelivery: spread(measured.map((entry) => entry.cpuMicrosPerDelivery)),
    problems: loadProblems(
      measured.map((entry) => ({ load: entry.load, handled: entry.server.handled })),
      connections,
    ),
  };
}

function loadProblems(
  runs: readonly { readonly load: LoadResult; readonly handled: number }[],
  inFlight: number,
): string[] {
  const problems: string[] = [];
  const statusCodes: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let unanswered = 0;
  for (const { load: result, handled } of runs) {
    non2xx += result.non2xx;
    errors += result.errors;
    timeouts += result.timeouts;
    for (const [code, count] of Object.entries(result.statusCodes)) {
      if (!code.startsWith('2')) {
        statusCodes[code] = (statusCodes[code] ?? 0) + count;
      }
    }
    if (Math.abs(handled - result.ok2xx) > inFlight) {
      unanswered += handled - result.ok2xx;
    }
  }
  if (non2xx > 0) {
    problems.push(`${String(non2xx)} non-2xx ${JSON.stringify(statusCodes)}`);
  }
  if (errors > 0 || timeouts > 0) {
    problems.push(`${String(errors)} errors, ${String(timeouts)} timeouts`);
  }
  if (unanswered !== 0) {
    problems.push(`handled and answered 2xx differ by ${String(unanswered)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// end-to-end HTTP

async function measureRound(
  client: ClientChild,
  server: RunningServer,
  secret: string,
  bodyBytes: number,
  plan: Pick<BenchPlan['http'], 'connections' | 'durationSeconds'> & { overallRate?: number },
  round: number,
): Promise<HttpRound> {
  let measurement: ServerMeasurement | undefined;
  const result = await load(
    client,
    server,
    secret,
    bodyBytes,
    plan.connections,
    {
      durationSeconds: plan.durationSeconds,
      ...(plan.overallRate === undefined ? {} : { overallRate: plan.overallRate }),
    },
    'pool',
    {
      // The pool is signed by now: only the run itself is inside the server's window.
      before: async () => {
        await server.child.request({ type: 'measure-start' }, 'measure-started');
      },
      after: async (result) => {
        ({ measurement } = await server.child.request(stopAfter(result), 'measured'));
      },
    },
  );
  if (!measurement) {
    throw new Error('no server measurement');
  }
  const cpu = measurement.cpuUserMicros + measurement.cpuSystemMicros;
  return {
    round,
    load: result,
    server: measurement,
    cpuMicrosPerDelivery: cpu / measurement.handled,
  };
}

async function runHttpPhase(
  plan: BenchPlan['http'],
  adapters: readonly AdapterName[],
  secret: string,
  quick: boolean,
): Promise<NonNullable<BenchReport['http']>> {
  const skipped: string[] = [];
  const scenarios: HttpScenario[] = [];
  for (const scenario of HTTP_SCENARIOS) {
    if (quick && scenario.quick === false) {
      skipped.push(`${scenario.name}: full runs only`);
      continue;
    }
    const missing = await missingService(scenario.requires);
    if (missing === undefined) {
      scenarios.push(scenario);
    } else {
      skipped.push(`${scenario.name}: ${missing}`);
    }
  }
  const servers: RunningServer[] = [];
  const rows: HttpRow[] = [];
  const client = await startClient();
  try {
    // Every server runs for the whole phase, so rounds can interleave all of them.
    for (const adapter of adapters) {
      for (const scenario of scenarios) {
        servers.push(await startServer(scenario, adapter, secret));
      }
    }
    for (const bodyBytes of plan.bodySizes) {
      for (const server of servers) {
        // Pools are sized from the rate at this body size only.
        server.rate = 0;
        const warm = await load(
          client,
          server,
          secret,
          bodyBytes,
          plan.connections,
          { durationSeconds: plan.warmupSeconds },
          'on-the-fly',
        );
        log(
          `[http] ${server.adapter}/${server.scenario.name} ${String(bodyBytes)} B warmed up ` +
            `(${String(Math.round(warm.requestsPerSecond))} req/s)`,
        );
      }
      const rounds = new Map<RunningServer, HttpRound[]>(servers.map((server) => [server, []]));
      for (let round = 1; round <= plan.rounds; round++) {
        for (const server of servers) {
          const measured = await measureRound(client, server, secret, bodyBytes, plan, round);
          rounds.get(server)?.push(measured);
          log(
            `[http] ${server.adapter}/${server.scenario.name} ${String(bodyBytes)} B round ` +
              `${String(round)}/${String(plan.rounds)}: ` +
              `${String(Math.round(measured.load.requestsPerSecond))} req/s, ` +
              `p99 ${measured.load.latencyMillis.p99.toFixed(2)} ms, ` +
              `${measured.cpuMicrosPerDelivery.toFixed(0)} µs CPU/delivery`,
          );
        }
      }
      for (const server of servers) {
        const measured = rounds.get(server) ?? [];
        rows.push({
          adapter: server.adapter,
          scenario: server.scenario.name,
          bodyBytes,
          ...summariseRounds(measured, plan.connections),
          peakRssBytes: Math.max(...measured.map((entry) => entry.server.maxRssBytes)),
          rounds: measured,
        });
      }
    }
  } finally {
    await Promise.all(servers.map(stopServer));
    await client.stop({ type: 'shutdown' });
    if (scenarios.some((scenario) => scenario.requires?.includes('redis'))) {
      await cleanUpRedis().then(
        (deleted) => {
          log(
            `[http] deleted the ${String(deleted)} Redis keys the run left (${REDIS_KEY_PREFIX}*)`,
          );
        },
        (error: unknown) => {
          log(
            `[http] could not delete the run's Redis keys (${REDIS_KEY_PREFIX}*): ${String(error)}`,
          );
        },
      );
    }
  }
  return { rows, comparisons: compare(rows), skipped };
}

function compare(rows: readonly HttpRow[]): HttpComparison[] {
  const comparisons: HttpComparison[] = [];
  for (const subject of rows) {
    if (subject.scenario === BASELINE_SCENARIO) {
      continue;
    }
    const baseline = rows.find(
      (row) =>
        row.scenario === BASELINE_SCENARIO &&
        row.adapter === subject.adapter &&
        row.bodyBytes === subject.bodyBytes,
    );
    if (!baseline) {
      continue;
    }
    const paired = subject.rounds.map(
      (round, index) =>
        round.load.requestsPerSecond / (baseline.rounds[index]?.load.requestsPerSecond ?? NaN),
    );
    comparisons.push({
      adapter: subject.adapter,
      bodyBytes: subject.bodyBytes,
      subject: subject.scenario,
      baseline: baseline.scenario,
      throughputRatio: subject.requestsPerSecond.median / baseline.requestsPerSecond.median,
      pairedThroughputRatio: { min: Math.min(...paired), max: Math.max(...paired) },
      cpuRatio: baseline.cpuMicrosPerDelivery.median / subject.cpuMicrosPerDelivery.median,
      addedCpuMicros: subject.cpuMicrosPerDelivery.median - baseline.cpuMicrosPerDelivery.median,
      p99Ratio: subject.p99Millis.median / baseline.p99Millis.median,
      rssDeltaBytes: subject.peakRssBytes - baseline.peakRssBytes,
    });
  }
  return comparisons;
}

// ---------------------------------------------------------------------------------------------
// soak

async function runSoakPhase(plan: BenchPlan['soak'], secret: string): Promise<SoakResult> {
  const scenario = soakScenario(plan.storeCap);
  const missing = await missingService(scenario.requires);
  if (missing !== undefined) {
    throw new Error(`the soak scenario ${scenario.name} cannot run: ${missing}`);
  }
  log(
    `[soak] ${String(plan.deliveries)} distinct deliveries to ${SOAK_ADAPTER}/${scenario.name} ` +
      `(${scenario.description}), memory at ${String(plan.checkpoints)} checkpoints`,
  );
  const server = await startServer(scenario, SOAK_ADAPTER, secret, ['--expose-gc']);
  const client = await startClient();
  const runs: { load: LoadResult; handled: number }[] = [];
  const checkpoints: SoakCheckpoint[] = [];
  const snapshot = async (): Promise<void> => {
    const { snapshot: memory } = await server.child.request({ type: 'snapshot' }, 'snapshot');
    checkpoints.push({
      deliveries: memory.handled,
      rssBytes: memory.rssBytes,
      heapUsedBytes: memory.heapUsedBytes,
      heapTotalBytes: memory.heapTotalBytes,
      externalBytes: memory.externalBytes,
    });
  };
  let sent = 0;
  let seconds = 0;
  try {
    await snapshot();
    const segment = Math.ceil(plan.deliveries / plan.checkpoints);
    for (let index = 0; index < plan.checkpoints; index++) {
      const amount = Math.min(segment, plan.deliveries - sent);
      // Signed as sent: a million precomputed signatures would be the client's memory, not ours.
      const result = await load(
        client,
        server,
        secret,
        1024,
        plan.connections,
        { amount },
        'on-the-fly',
      );
      sent += amount;
      seconds += result.elapsedSeconds;
      await snapshot();
      const handled = (checkpoints.at(-1)?.deliveries ?? 0) - (checkpoints.at(-2)?.deliveries ?? 0);
      runs.push({ load: result, handled });
      const last = checkpoints[checkpoints.length - 1];
      log(
        `[soak] ${String(last?.deliveries ?? 0)} delivered: RSS ` +
          `${((last?.rssBytes ?? 0) / 2 ** 20).toFixed(1)} MB, heap ` +
          `${((last?.heapUsedBytes ?? 0) / 2 ** 20).toFixed(1)} MB`,
      );
    }
  } finally {
    await stopServer(server);
    await client.stop({ type: 'shutdown' });
  }
  return soakResult(plan.storeCap, sent, seconds, checkpoints, loadProblems(runs, 0));
}

function soakResult(
  cap: number,
  deliveries: number,
  seconds: number,
  checkpoints: readonly SoakCheckpoint[],
  problems: readonly string[],
): SoakResult {
  // Growth is counted from the first checkpoint after load, not from the idle start: JIT-compiled
  // code and warmed caches are not growth.
  const baseline = checkpoints[0];
  const warm = checkpoints.slice(1);
  const first = warm[0];
  const last = warm.at(-1);
  const heap = (points: readonly SoakCheckpoint[]): [number, number][] =>
    points.map((point) => [point.deliveries, point.heapUsedBytes]);
  // While the store fills, the heap slope is what one stored id costs; from the first checkpoint
  // at or past the cap on, memory must stay flat (least recently used ids are forgotten).
  const filling = warm.filter((point) => point.deliveries <= cap);
  const atCap = warm.find((point) => point.deliveries >= cap);
  const bytesPerStoredId =
    filling.length >= 2
      ? slope(heap(filling))
      : atCap && baseline
        ? (atCap.heapUsedBytes - baseline.heapUsedBytes) / cap
        : NaN;
  // "Full" leaves the store time to settle (eviction running, structures at their final size).
  const settled = warm.find(
    (point) => point.deliveries >= Math.max(2 * cap, deliveries / 2) && point !== last,
  );
  const tail = settled ? warm.filter((point) => point.deliveries >= settled.deliveries) : [];
  // Growth over the tail as slope x span: RSS moves by megabytes from one checkpoint to the next
  // with the allocator, so the two end points alone would mostly measure that noise.
  const tailGrowth = (value: (point: SoakCheckpoint) => number): number | undefined => {
    const end = tail.at(-1);
    return settled && end && tail.length >= 2
      ? slope(tail.map((point) => [point.deliveries, value(point)])) *
          (end.deliveries - settled.deliveries)
      : undefined;
  };
  return {
    scenario: `module, memory store capped at ${String(cap)} ids`,
    adapter: SOAK_ADAPTER,
    deliveries,
    requestsPerSecond: deliveries / seconds,
    checkpoints,
    rssGrowthBytes: first && last ? last.rssBytes - first.rssBytes : NaN,
    heapGrowthBytes: first && last ? last.heapUsedBytes - first.heapUsedBytes : NaN,
    heapBytesPerDelivery: slope(heap(warm)),
    rssBytesPerDelivery: slope(warm.map((point) => [point.deliveries, point.rssBytes])),
    store: {
      cap,
      bytesPerStoredId,
      heapGrowthAfterCapBytes: tailGrowth((point) => point.heapUsedBytes),
      rssGrowthAfterCapBytes: tailGrowth((point) => point.rssBytes),
      deliveriesAfterCap: settled && last ? last.deliveries - settled.deliveries : undefined,
    },
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// CPU profiles

async function runProfilePhase(
  plan: BenchPlan['profile'],
  adapters: readonly AdapterName[],
  secret: string,
  out: string,
): Promise<ProfileSummary[]> {
  const directory = join(out, 'profiles');
  mkdirSync(directory, { recursive: true });
  const summaries: ProfileSummary[] = [];
  const scenarios = BASELINE_AND_SUBJECT;
  for (const adapter of adapters) {
    for (const scenario of scenarios) {
      const server = await startServer(scenario, adapter, secret);
      const client = await startClient();
      const file = join(directory, `${adapter}-${scenario.name}.cpuprofile`);
      let profiled: ServerMeasurement | undefined;
      try {
        const timed = { connections: 10, durationSeconds: plan.durationSeconds };
        await load(
          client,
          server,
          secret,
          plan.bodyBytes,
          10,
          { durationSeconds: 2 },
          'on-the-fly',
        );
        // CPU per request without the profiler (its sampling thread costs CPU of its own)...
        const unprofiled = await measureRound(client, server, secret, plan.bodyBytes, timed, 0);
        // ...then where that time goes, from a profiled run of the same length.
        await load(client, server, secret, plan.bodyBytes, 10, timed, 'pool', {
          before: async () => {
            await server.child.request({ type: 'measure-start' }, 'measure-started');
            await server.child.request(
              { type: 'profile-start', samplingIntervalMicros: plan.samplingIntervalMicros },
              'profile-started',
            );
          },
          after: async (result) => {
            await server.child.request({ type: 'profile-stop', file }, 'profile-stopped');
            ({ measurement: profiled } = await server.child.request(stopAfter(result), 'measured'));
          },
        });
        if (!profiled) {
          throw new Error('no server measurement');
        }
        const summary = summariseProfile(file, `${adapter} / ${scenario.name}`, {
          requests: profiled.handled,
          cpuUserMicrosPerRequest: unprofiled.server.cpuUserMicros / unprofiled.server.handled,
          cpuSystemMicrosPerRequest: unprofiled.server.cpuSystemMicros / unprofiled.server.handled,
          profiledCpuMicrosPerRequest:
            (profiled.cpuUserMicros + profiled.cpuSystemMicros) / profiled.handled,
        });
        summaries.push({ ...summary, file: relative(ROOT, file) });
        log(
          `[profile] ${adapter}/${scenario.name}: ${unprofiled.cpuMicrosPerDelivery.toFixed(1)} µs ` +
            `CPU per request -> ${relative(ROOT, file)}`,
        );
      } finally {
        await stopServer(server);
        await client.stop({ type: 'shutdown' });
      }
    }
  }
  return summaries;
}

// ---------------------------------------------------------------------------------------------
// Latency at a fixed rate below saturation

async function runFixedRatePhase(
  plan: BenchPlan['fixedRate'],
  adapters: readonly AdapterName[],
  secret: string,
  httpRows: readonly HttpRow[] | undefined,
): Promise<FixedRateRow[]> {
  const scenarios = BASELINE_AND_SUBJECT;
  const rows: FixedRateRow[] = [];
  const client = await startClient();
  try {
    for (const adapter of adapters) {
      const capacity = httpRows?.find(
        (row) =>
          row.adapter === adapter &&
          row.scenario === BASELINE_SCENARIO &&
          row.bodyBytes === plan.bodyBytes,
      )?.requestsPerSecond.median;
      const rate = Math.max(
        1,
        Math.round(capacity === undefined ? plan.fallbackRate : capacity * plan.loadFraction),
      );
      const servers: RunningServer[] = [];
      try {
        for (const scenario of scenarios) {
          const server = await startServer(scenario, adapter, secret);
          servers.push(server);
          await load(
            client,
            server,
            secret,
            plan.bodyBytes,
            plan.connections,
            { durationSeconds: 2 },
            'on-the-fly',
          );
        }
        const rounds = new Map<RunningServer, HttpRound[]>(servers.map((server) => [server, []]));
        for (let round = 1; round <= plan.rounds; round++) {
          for (const server of servers) {
            const measured = await measureRound(
              client,
              server,
              secret,
              plan.bodyBytes,
              { ...plan, overallRate: rate },
              round,
            );
            rounds.get(server)?.push(measured);
            const result = measured.load;
            log(
              `[latency] ${adapter}/${server.scenario.name} at ${String(rate)} req/s, round ` +
                `${String(round)}/${String(plan.rounds)}: p50 ${result.latencyMillis.p50.toFixed(2)} ms, ` +
                `p99 ${result.latencyMillis.p99.toFixed(2)} ms`,
            );
          }
        }
        for (const server of servers) {
          const measured = rounds.get(server) ?? [];
          rows.push({
            adapter,
            scenario: server.scenario.name,
            bodyBytes: plan.bodyBytes,
            offeredRate: rate,
            ...summariseRounds(measured, plan.connections),
          });
        }
      } finally {
        await Promise.all(servers.map(stopServer));
      }
    }
  } finally {
    await client.stop({ type: 'shutdown' });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Instructions per request (callgrind)

async function runInstructionsPhase(
  plan: BenchPlan['instructions'],
  adapters: readonly AdapterName[],
  secret: string,
  out: string,
): Promise<InstructionRow[]> {
  if (!callgrindAvailable()) {
    log('[instructions] skipped: valgrind (callgrind) is not installed');
    return [];
  }
  const directory = join(out, 'callgrind');
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const rows: InstructionRow[] = [];
  const scenarios = BASELINE_REFERENCE_AND_SUBJECT;
  for (const adapter of adapters) {
    for (const scenario of scenarios) {
      const outFile = join(directory, `${adapter}-${scenario.name}.out`);
      const server = await startServer(scenario, adapter, secret, [], callgrindWrapper(outFile));
      const client = await startClient();
      const pid = server.child.pid;
      try {
        if (pid === undefined) {
          throw new Error('the server under callgrind has no pid');
        }
        const { connections, warmupRequests, requests, bodyBytes } = plan;
        // Long enough for V8 to have optimised the request path before counting starts.
        await load(
          client,
          server,
          secret,
          bodyBytes,
          connections,
          { amount: warmupRequests },
          'pool',
        );
        let instructions: InstructionCount = { total: 0, compiler: 0 };
        let handled = 0;
        await load(client, server, secret, bodyBytes, connections, { amount: requests }, 'pool', {
          before: async () => {
            zeroCounters(pid);
            await server.child.request({ type: 'measure-start' }, 'measure-started');
          },
          after: async (result) => {
            ({
              measurement: { handled },
            } = await server.child.request(stopAfter(result), 'measured'));
            instructions = dumpInstructions(pid, outFile);
          },
        });
        rows.push({
          adapter,
          scenario: scenario.name,
          requests: handled,
          instructionsPerRequest: instructions.total / handled,
          compilerInstructionsPerRequest: instructions.compiler / handled,
        });
        log(
          `[instructions] ${adapter}/${scenario.name}: ` +
            `${Math.round(instructions.total / handled).toLocaleString('en-US')} per request, ` +
            `${Math.round(instructions.compiler / handled).toLocaleString('en-US')} of them in V8's compilers ` +
            `(${String(handled)} requests)`,
        );
      } finally {
        await stopServer(server);
        await client.stop({ type: 'shutdown' });
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  const startedAt = new Date().toISOString();
  linkLibrary();
  const machine = machineInfo(ROOT);
  log(
    `nestjs-visiwise-webhook bench (${options.quick ? 'quick' : 'full'}): ${machine.cpuModel}, ` +
      `${String(machine.cores)} cores, Node ${machine.node}, tree ${machine.commit}, ` +
      `load average ${machine.loadAverage.start.toFixed(2)}`,
  );
  if (machine.loadAverage.start > 0.5) {
    log('Warning: other processes are busy on this machine; they will add noise to every figure.');
  }
  const secret = benchSecret();
  const { plan, phases, adapters } = options;

  const micro = phases.has('micro') ? await runMicroPhase(plan.micro) : undefined;
  const http = phases.has('http')
    ? await runHttpPhase(plan.http, adapters, secret, options.quick)
    : undefined;
  const fixedRate = phases.has('latency')
    ? await runFixedRatePhase(plan.fixedRate, adapters, secret, http?.rows)
    : undefined;
  const soak = phases.has('soak') ? await runSoakPhase(plan.soak, secret) : undefined;
  const profiles = phases.has('profile')
    ? await runProfilePhase(plan.profile, adapters, secret, options.out)
    : undefined;
  const instructions = phases.has('instructions')
    ? await runInstructionsPhase(plan.instructions, adapters, secret, options.out)
    : undefined;

  const report: BenchReport = {
    schema: 1,
    mode: options.quick ? 'quick' : 'full',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverage: { ...machine.loadAverage, end: currentLoadAverage() } },
    plan,
    ...(micro ? { micro } : {}),
    ...(http ? { http } : {}),
    ...(soak ? { soak } : {}),
    ...(profiles ? { profiles } : {}),
    ...(instructions ? { instructions } : {}),
    ...(fixedRate ? { fixedRate } : {}),
    targets: evaluateTargets(micro, http?.rows, http?.comparisons, soak),
  };
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(options.out, 'latest.md'), renderMarkdown(report));
  log(`\n${renderConsole(report)}\n`);
  log(
    `Written: ${relative(ROOT, join(options.out, 'latest.json'))}, ` +
      relative(ROOT, join(options.out, 'latest.md')),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
