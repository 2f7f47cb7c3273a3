/*
 * The bench runner (`npm run bench [-- --quick]`): the verify micro-benchmark, the HTTP scenarios
 * in interleaved rounds, and latency at a fixed rate; then the targets, PASS or FAIL,
 * printed and written to bench/results/latest.{json,md}. See docs/BENCHMARKS.md.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BenchPlan,
  FULL_PLAN,
  LATENCY_PAIR,
  QUICK_PLAN,
  SCENARIOS,
  Scenario,
} from './bench.scenarios';
import { evaluateTargets } from './bench.targets';
import { BenchChild } from './lib/bench-child';
import { cleanUpPostgres, cleanUpRedis, postgresMissing, redisMissing } from './lib/bench-services';
import { LoadPlan, LoadResult, runLoad } from './lib/load';
import { loadAverage, machineInfo } from './lib/machine';
import { benchSecret } from './lib/payload';
import { renderReport } from './lib/report';
import {
  median,
  type AdapterName,
  type BenchReport,
  type BenchResults,
  type BenchServerConfig,
  type LatencyRow,
  type Round,
  type ScenarioRow,
  type ServerCommand,
  type ServerReply,
  type WindowMeasurement,
} from './lib/results';

const PHASES = ['micro', 'http', 'latency'] as const;
type Phase = (typeof PHASES)[number];
const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];
const ROOT = resolve(__dirname, '..', '..');
const SERVER_ENTRY = join(__dirname, 'apps', 'bench-server.js');
const PATH = 'webhooks/visiwise';
/** Long enough for a queue worker to catch up with what was answered. */
const DRAIN_TIMEOUT_MILLIS = 20_000;

type ServerChild = BenchChild<ServerCommand, ServerReply>;

interface Server {
  readonly scenario: Scenario;
  readonly adapter: AdapterName;
  readonly child: ServerChild;
  readonly port: number;
  /** The separate queue worker process (`worker: 'separate'`). */
  readonly worker?: ServerChild;
  /** Highest req/s seen, to size the next pool of signed requests. */
  rate: number;
}

type Options = ReturnType<typeof parseOptions>;

function parseOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', default: PHASES.join(',') },
      // A V8 CPU profile of every server process, written when it exits.
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      // Only these HTTP scenarios (comma-separated names), e.g. while working on one of them.
      scenarios: { type: 'string' },
    },
  });
  const names = values.scenarios?.split(',').map((name) => name.trim());
  const missing = names?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
  if (missing.length > 0) {
    throw new Error(
      `--scenarios: ${missing.join(', ')} not among ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  const phases = values.only.split(',').map((phase) => phase.trim());
  const unknown = phases.filter((phase) => !(PHASES as readonly string[]).includes(phase));
  if (unknown.length > 0) {
    throw new Error(`--only: ${unknown.join(', ')} not among ${PHASES.join(', ')}`);
  }
  return {
    command: ['npm run bench --', ...args].join(' '),
    phases: new Set(phases as Phase[]),
    plan: values.quick ? QUICK_PLAN : FULL_PLAN,
    quick: values.quick,
    out: resolve(ROOT, values.out),
    cpuProf: values['cpu-prof'],
    scenarios: names === undefined ? undefined : new Set(names),
  };
}

/**
 * Lets the compiled bench `require('nestjs-visiwise-webhook')` the built package as an application
 * does, without installing it: dist/bench/node_modules/nestjs-visiwise-webhook -> dist/libs/...
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

const label = (scenario: Scenario, adapter: AdapterName): string => `${adapter}/${scenario.name}`;

async function startServer(
  scenario: Scenario,
  adapter: AdapterName,
  secret: string,
  options: Options,
): Promise<Server> {
  const moduleOptions = scenario.module?.(`${adapter}-${scenario.name}-${String(process.pid)}`);
  const execArgv = ['--expose-gc'];
  if (options.cpuProf)
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(options.out, 'profiles')}`);
  const spawn = async (role: AdapterName | 'worker', worker?: boolean) => {
    const config: BenchServerConfig = {
      app: scenario.app,
      adapter: role,
      secret,
      path: PATH,
      moduleOptions:
        worker === undefined
          ? (moduleOptions ?? {})
          : { ...moduleOptions, queue: { ...moduleOptions?.queue, worker } },
    };
    const env = {
      BENCH_SERVER: JSON.stringify(config),
      NODE_ENV: 'production',
      ...scenario.env?.(`${adapter}-${scenario.name}-${String(process.pid)}`, secret),
    };
    const child: ServerChild = new BenchChild(
      `${label(scenario, adapter)} ${role}`,
      SERVER_ENTRY,
      env,
      execArgv,
    );
    return { child, port: (await child.request(undefined, 'ready', 60_000)).port };
  };
  if (scenario.worker !== 'separate')
    return { scenario, adapter, ...(await spawn(adapter)), rate: 0 };
  const { child: worker } = await spawn('worker', true);
  return { scenario, adapter, ...(await spawn(adapter, false)), worker, rate: 0 };
}

async function stopServer(server: Server): Promise<void> {
  await Promise.all([
    server.child.stop({ type: 'shutdown' }),
    server.worker?.stop({ type: 'shutdown' }),
  ]);
}

interface Measured {
  readonly load: LoadResult;
  readonly receive: WindowMeasurement;
  readonly worker?: WindowMeasurement;
}

/**
 * One run of load inside a measurement window of the server (and its worker). The window closes
 * once the handlers have seen every delivery answered 2xx, so a queue's work after the answer is
 * billed to the delivery; the separate worker's window closes after its own drain.
 */
async function measure(
  server: Server,
  secret: string,
  plan: Omit<LoadPlan, 'port' | 'path' | 'secret' | 'presign'>,
): Promise<Measured> {
  const children = [server.child, ...(server.worker ? [server.worker] : [])];
  const expected = plan.amount ?? Math.max(server.rate, 2_000) * (plan.durationSeconds ?? 0) * 1.3;
  const load = await runLoad(
    {
      ...plan,
      port: server.port,
      path: `/${PATH}${server.scenario.route ?? ''}`,
      secret,
      presign: Math.ceil(expected),
    },
    // The pool is signed by now: only the load itself is inside the window.
    () => Promise.all(children.map((child) => child.request({ type: 'start' }, 'started'))),
  );
  const stop = (expectHandled: number): ServerCommand => ({
    type: 'stop',
    expectHandled,
    drainTimeoutMillis: DRAIN_TIMEOUT_MILLIS,
  });
  const { measurement: receive } = await server.child.request(
    stop(server.worker ? 0 : load.ok2xx),
    'stopped',
  );
  const worker = server.worker
    ? (await server.worker.request(stop(load.ok2xx), 'stopped')).measurement
    : undefined;
  server.rate = Math.max(server.rate, load.requestsPerSecond);
  return { load, receive, ...(worker ? { worker } : {}) };
}

function toRound({ load, receive, worker }: Measured): Round {
  const handled = (worker ?? receive).handled;
  return {
    requestsPerSecond: load.requestsPerSecond,
    p50Millis: load.p50Millis,
    p99Millis: load.p99Millis,
    receiveCpuMicros: receive.cpuMicros / load.ok2xx,
    ...(worker ? { workerCpuMicros: worker.cpuMicros / worker.handled } : {}),
    rssAfterGcBytes: receive.rssAfterGcBytes,
    problems: load.problems + Math.max(0, load.ok2xx - handled),
  };
}

function toRow(server: Server, rounds: readonly Round[]): ScenarioRow {
  const of = (value: (round: Round) => number): number => median(rounds.map(value));
  const receiveCpuMicros = of((round) => round.receiveCpuMicros);
  const workerCpuMicros = server.worker ? of((round) => round.workerCpuMicros ?? NaN) : undefined;
  return {
    adapter: server.adapter,
    scenario: server.scenario.name,
    requestsPerSecond: of((round) => round.requestsPerSecond),
    p50Millis: of((round) => round.p50Millis),
    p99Millis: of((round) => round.p99Millis),
    receiveCpuMicros,
    ...(workerCpuMicros === undefined ? {} : { workerCpuMicros }),
    cpuMicros: receiveCpuMicros + (workerCpuMicros ?? 0),
    rssAfterGcBytes: of((round) => round.rssAfterGcBytes),
    problems: rounds.reduce((sum, round) => sum + round.problems, 0),
    rounds,
  };
}

async function runHttp(servers: readonly Server[], secret: string, plan: BenchPlan['http']) {
  const { bodyBytes, connections } = plan;
  for (const server of servers) {
    await measure(server, secret, { bodyBytes, connections, durationSeconds: plan.warmupSeconds });
  }
  const rounds = new Map<Server, Round[]>(servers.map((server) => [server, []]));
  for (let round = 1; round <= plan.rounds; round++) {
    for (const server of servers) {
      const measured = toRound(
        await measure(server, secret, { bodyBytes, connections, durationSeconds: plan.seconds }),
      );
      rounds.get(server)?.push(measured);
      const worker = measured.workerCpuMicros;
      console.log(
        `[http] round ${String(round)}/${String(plan.rounds)} ${server.adapter}/${server.scenario.name}: ` +
          `${measured.requestsPerSecond.toFixed(0)} req/s, ${measured.receiveCpuMicros.toFixed(1)}` +
          (worker === undefined ? '' : ` + ${worker.toFixed(1)} (worker)`) +
          ` µs CPU/delivery, p99 ${measured.p99Millis.toFixed(2)} ms`,
      );
    }
  }
  return servers.map((server) => toRow(server, rounds.get(server) ?? []));
}

/**
 * Module and bare route at the same open-loop rate, half the bare route's closed-loop req/s: at
 * saturation p99 only mirrors throughput, at a fixed rate it shows the module's own delay.
 */
async function runLatency(
  servers: readonly Server[],
  http: readonly ScenarioRow[],
  secret: string,
  options: Options,
): Promise<LatencyRow[]> {
  const { latency, http: httpPlan } = options.plan;
  const runs = servers.flatMap((server) => {
    const bare = http.find((row) => row.adapter === server.adapter && row.scenario === 'bare');
    const paired = (LATENCY_PAIR as readonly string[]).includes(server.scenario.name);
    return bare && paired ? [{ server, rate: bare.requestsPerSecond * latency.fraction }] : [];
  });
  const loads = new Map<Server, Measured[]>(runs.map(({ server }) => [server, []]));
  for (let round = 1; round <= latency.rounds; round++) {
    for (const { server, rate } of runs) {
      const measured = await measure(server, secret, {
        bodyBytes: httpPlan.bodyBytes,
        connections: httpPlan.connections,
        durationSeconds: latency.seconds,
        overallRate: Math.round(rate),
      });
      loads.get(server)?.push(measured);
      const { load } = measured;
      console.log(
        `[latency] ${server.scenario.name}/${server.adapter} p99 ${load.p99Millis.toFixed(2)} ms, ` +
          `${(measured.receive.cpuMicros / load.ok2xx).toFixed(1)} µs CPU/delivery`,
      );
    }
  }
  return runs.map(({ server, rate }) => {
    const results = loads.get(server) ?? [];
    return {
      adapter: server.adapter,
      scenario: server.scenario.name,
      offeredRate: rate,
      p50Millis: median(results.map(({ load }) => load.p50Millis)),
      p99Millis: median(results.map(({ load }) => load.p99Millis)),
      cpuMicros: median(results.map(({ load, receive }) => receive.cpuMicros / load.ok2xx)),
      problems: results.reduce((sum, { load }) => sum + load.problems, 0),
    };
  });
}

/** The HTTP scenarios that can run here, started on their adapters; why others are skipped. */
async function startServers(
  secret: string,
  options: Options,
  skipped: string[],
): Promise<Server[]> {
  const missingRedis = await redisMissing();
  const missingPostgres = await postgresMissing();
  const servers: Server[] = [];
  for (const adapter of ADAPTERS) {
    const chosen = SCENARIOS.filter(
      (s) => (s.adapters ?? ADAPTERS).includes(adapter) && (options.scenarios?.has(s.name) ?? true),
    );
    for (const scenario of chosen) {
      const why =
        options.quick && scenario.quick === false
          ? 'full runs only'
          : scenario.requiresRedis
            ? missingRedis
            : scenario.requiresPostgres
              ? missingPostgres
              : undefined;
      if (why === undefined) servers.push(await startServer(scenario, adapter, secret, options));
      else skipped.push(`${label(scenario, adapter)}: ${why}`);
    }
  }
  return servers;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { plan, phases } = options;
  const started = Date.now();
  linkLibrary();
  const machine = machineInfo(ROOT);
  const secret = benchSecret();
  const results: BenchResults = { skipped: [] };

  if (phases.has('micro')) {
    console.log(`[micro] verify at ${plan.micro.sizes.join(', ')} bytes`);
    // Loaded here, not at the top: it requires the library, which linkLibrary() just linked.
    const { runMicro } = await import('./micro/verify-micro');
    results.micro = await runMicro(plan.micro.sizes, plan.micro.rounds, plan.micro.millis);
  }
  if (phases.has('http')) {
    const servers: Server[] = [];
    try {
      servers.push(...(await startServers(secret, options, results.skipped)));
      results.http = await runHttp(servers, secret, plan.http);
      if (phases.has('latency'))
        results.latency = await runLatency(servers, results.http, secret, options);
    } finally {
      await Promise.all(servers.map(stopServer));
      if (servers.some((server) => server.scenario.requiresRedis)) {
        console.log(`[http] deleted ${String(await cleanUpRedis())} Redis keys the run left`);
      }
      if (servers.some((server) => server.scenario.requiresPostgres)) {
        console.log(`[http] dropped ${String(await cleanUpPostgres())} PostgreSQL schemas`);
      }
    }
  } else if (phases.has('latency')) {
    results.skipped.push("latency: needs the http phase (its rate is half the bare route's req/s)");
  }

  machine.loadAverage.end = loadAverage();
  const report: BenchReport = {
    command: options.command,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine,
    results,
    targets: evaluateTargets(results),
  };
  const markdown = renderReport(report);
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(options.out, 'latest.md'), markdown);
  // A missed target is a finding, not a failure of the run: the exit code stays 0.
  console.log(`\n${markdown}\nWritten to ${relative(ROOT, options.out)}/latest.{json,md}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
