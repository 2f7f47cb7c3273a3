/*
 * The bench runner (`npm run bench [-- --quick]`): the verify micro-benchmark, the HTTP scenarios
 * in interleaved rounds, latency at a fixed rate, and capacity at a set rate; then the targets, PASS or FAIL, printed and
 * written to bench/results/latest.{json,md}. See docs/BENCHMARKS.md.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL_PLAN, QUICK_PLAN, SCENARIOS, type Scenario } from './bench.scenarios';
import { evaluateTargets } from './bench.targets';
import { cleanUpPostgres, cleanUpRedis, unavailable } from './lib/bench-services';
import { runLoad } from './lib/load';
import { loadAverage, machineInfo } from './lib/machine';
import { benchSecret } from './lib/payload';
import { renderReport } from './lib/report';
import { ServerProcess } from './lib/server-process';
import {
  ADAPTERS,
  median,
  type AdapterName,
  type BenchResults,
  type Round,
  type ScenarioRow,
} from './lib/results';

const ROOT = resolve(__dirname, '..', '..');
const PATH = 'webhooks/visiwise';
const PHASES = ['micro', 'http', 'latency', 'rate'] as const;
const SCENARIO_NAMES = SCENARIOS.map((scenario) => scenario.name);

/** The names in a comma-separated option, each one of `allowed`. */
function names(option: string, value: string, allowed: readonly string[]): Set<string> {
  const given = value.split(',').map((name) => name.trim());
  const unknown = given.filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new Error(`--${option}: ${unknown.join(', ')} not among ${allowed.join(', ')}`);
  }
  return new Set(given);
}

const ARGS = process.argv.slice(2);
const { values: OPTIONS } = parseArgs({
  args: ARGS,
  strict: true,
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: PHASES.join(',') },
    // A V8 CPU profile of every server process, written when it exits.
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
    // Only these HTTP scenarios (comma-separated names), e.g. while working on one of them.
    scenarios: { type: 'string', default: SCENARIO_NAMES.join(',') },
  },
});
const PHASE = names('only', OPTIONS.only, PHASES);
const CHOSEN = names('scenarios', OPTIONS.scenarios, SCENARIO_NAMES);
const PLAN = OPTIONS.quick ? QUICK_PLAN : FULL_PLAN;
const OUT = resolve(ROOT, OPTIONS.out);
const SECRET = benchSecret();

interface Server {
  readonly scenario: Scenario;
  readonly adapter: AdapterName;
  readonly port: number;
  /** The receiving server, then the separate queue worker of `worker: 'separate'`. */
  readonly processes: readonly [ServerProcess, ...ServerProcess[]];
  /** Highest req/s seen, to size the next pool of signed requests. */
  rate: number;
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

async function startServer(scenario: Scenario, adapter: AdapterName): Promise<Server> {
  const instance = `${adapter}-${scenario.name}-${process.pid}`;
  const moduleOptions = scenario.module?.(instance) ?? {};
  const env = scenario.env?.(instance, SECRET) ?? {};
  const profile = ['--cpu-prof', `--cpu-prof-dir=${join(OUT, 'profiles')}`];
  const execArgv = ['--expose-gc', ...(OPTIONS['cpu-prof'] ? profile : [])];
  const spawn = async (role: AdapterName | 'worker', worker?: boolean) => {
    const queue = worker === undefined ? {} : { queue: { ...moduleOptions.queue, worker } };
    const config = {
      app: scenario.app,
      adapter: role,
      secret: SECRET,
      path: PATH,
      moduleOptions: { ...moduleOptions, ...queue },
    };
    const child = new ServerProcess(`${adapter}/${scenario.name} ${role}`, config, env, execArgv);
    return { child, port: await child.ready() };
  };
  const worker = scenario.worker === 'separate' ? (await spawn('worker', true)).child : undefined;
  const { child, port } = await spawn(adapter, worker ? false : undefined);
  return { scenario, adapter, port, processes: worker ? [child, worker] : [child], rate: 0 };
}

/** Starts the HTTP scenarios that can run here on their adapters; says why others are skipped. */
async function startServers(servers: Server[], skipped: string[]): Promise<void> {
  const missing = { redis: await unavailable('redis'), postgres: await unavailable('postgres') };
  for (const adapter of ADAPTERS) {
    for (const scenario of SCENARIOS) {
      if (!(scenario.adapters ?? ADAPTERS).includes(adapter)) continue;
      if (!CHOSEN.has(scenario.name)) continue;
      const why =
        OPTIONS.quick && scenario.quick === false
          ? 'full runs only'
          : scenario.requires && missing[scenario.requires];
      if (why) skipped.push(`${adapter}/${scenario.name}: ${why}`);
      else servers.push(await startServer(scenario, adapter));
    }
  }
}

/**
 * One run of load inside a measurement window of the server (and its worker). The window closes
 * once the handlers have seen every delivery answered 2xx, so a queue's work after the answer is
 * billed to the delivery; the separate worker's window closes after its own drain.
 */
async function measure(
  server: Server,
  seconds: number,
  overallRate?: number,
  connections = PLAN.http.connections,
): Promise<Round> {
  const [receiver, worker] = server.processes;
  const { ok2xx, problems, ...load } = await runLoad(
    {
      port: server.port,
      path: `/${PATH}${server.scenario.route ?? ''}`,
      secret: SECRET,
      bodyBytes: PLAN.http.bodyBytes,
      connections,
      durationSeconds: seconds,
      overallRate,
      presign: Math.ceil(Math.max(server.rate, 2_000) * seconds * 1.3),
    },
    // The pool is signed by now: only the load itself is inside the window.
    () => Promise.all(server.processes.map((child) => child.open())),
  );
  const receive = await receiver.close(worker ? 0 : ok2xx);
  const work = await worker?.close(ok2xx);
  server.rate = Math.max(server.rate, load.requestsPerSecond);
  return {
    ...load,
    receiveCpuMicros: receive.cpuMicros / ok2xx,
    ...(work ? { workerCpuMicros: work.cpuMicros / work.handled } : {}),
    rssAfterGcBytes: receive.rssAfterGcBytes,
    problems: problems + Math.max(0, ok2xx - (work ?? receive).handled),
  };
}

type Run = { readonly server: Server; readonly rate?: number; readonly rounds: Round[] };
type Rounds = { readonly rounds: number; readonly seconds: number; readonly connections?: number };

/**
 * Interleaved rounds (A B C ... A B C ...), so that a slower minute of the shared machine hits
 * every server alike. A run's `rate` is an open-loop rate (requests/s); without it, closed loop.
 */
async function interleave(phase: string, runs: readonly Run[], plan: Rounds): Promise<void> {
  for (let round = 1; round <= plan.rounds; round++) {
    for (const { server, rate, rounds } of runs) {
      const result = await measure(server, plan.seconds, rate, plan.connections);
      rounds.push(result);
      const worker = result.workerCpuMicros;
      console.log(
        `[${phase}] round ${round}/${plan.rounds} ${server.adapter}/${server.scenario.name}: ` +
          `${result.requestsPerSecond.toFixed(0)} req/s, ${result.receiveCpuMicros.toFixed(1)}` +
          (worker === undefined ? '' : ` + ${worker.toFixed(1)} (worker)`) +
          ` µs CPU/delivery, p99 ${result.p99Millis.toFixed(2)} ms`,
      );
    }
  }
}

function toRow({ adapter, scenario, processes }: Server, rounds: readonly Round[]): ScenarioRow {
  const of = (value: (round: Round) => number): number => median(rounds.map(value));
  const receiveCpuMicros = of((round) => round.receiveCpuMicros);
  const workerCpuMicros = processes[1] ? of((round) => round.workerCpuMicros ?? NaN) : undefined;
  return {
    adapter,
    scenario: scenario.name,
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

async function runHttp(servers: readonly Server[]): Promise<ScenarioRow[]> {
  for (const server of servers) await measure(server, PLAN.http.warmupSeconds);
  const runs = servers.map((server): Run => ({ server, rounds: [] }));
  await interleave('http', runs, PLAN.http);
  return runs.map(({ server, rounds }) => toRow(server, rounds));
}

/**
 * The scenarios flagged for a fixed-rate phase, all at the same open-loop rate. latency: half the
 * bare route's closed-loop req/s (at saturation p99 only mirrors throughput; at a fixed rate it
 * shows the module's own delay). rate: the plan's rate, whether it is answered, at what CPU.
 */
async function runFixedRate(
  phase: 'latency' | 'rate',
  servers: readonly Server[],
  http: readonly ScenarioRow[] = [],
) {
  const runs = servers.flatMap((server): Required<Run>[] => {
    const bare = http.find((row) => row.adapter === server.adapter && row.scenario === 'bare');
    const rate =
      phase === 'rate'
        ? PLAN.rate.perSecond
        : (bare?.requestsPerSecond ?? NaN) * PLAN.latency.fraction;
    const chosen = phase === 'rate' ? server.scenario.atRate : server.scenario.latency;
    return chosen && rate > 0 ? [{ server, rate: Math.round(rate), rounds: [] }] : [];
  });
  await interleave(phase, runs, PLAN[phase]);
  return runs.map(({ server, rate, rounds }) => ({ ...toRow(server, rounds), offeredRate: rate }));
}

async function main(): Promise<void> {
  const startedAt = new Date();
  linkLibrary();
  const machine = machineInfo(ROOT);
  const results: BenchResults = { skipped: [] };

  if (PHASE.has('micro')) {
    console.log(`[micro] verify at ${PLAN.micro.sizes.join(', ')} bytes`);
    // Loaded here, not at the top: it requires the library, which linkLibrary() just linked.
    const { runMicro } = await import('./micro/verify-micro');
    results.micro = await runMicro(PLAN.micro);
  }
  if (PHASE.has('http')) {
    const servers: Server[] = [];
    try {
      await startServers(servers, results.skipped);
      results.http = await runHttp(servers);
      if (PHASE.has('latency'))
        results.latency = await runFixedRate('latency', servers, results.http);
      if (PHASE.has('rate')) results.rate = await runFixedRate('rate', servers);
    } finally {
      const processes = servers.flatMap((server) => server.processes);
      await Promise.all(processes.map((child) => child.shutdown()));
      const used = new Set(servers.map((server) => server.scenario.requires));
      if (used.has('redis')) {
        console.log(`[http] deleted ${await cleanUpRedis()} Redis keys the run left`);
      }
      if (used.has('postgres')) {
        console.log(`[http] dropped ${await cleanUpPostgres()} PostgreSQL schemas`);
      }
    }
  } else if (PHASE.has('latency') || PHASE.has('rate')) {
    results.skipped.push('latency, rate: need the http phase (it starts and warms the servers)');
  }

  machine.loadAverage.end = loadAverage();
  const report = {
    command: ['npm run bench --', ...ARGS].join(' '),
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    machine,
    results,
    targets: evaluateTargets(results),
  };
  const markdown = renderReport(report);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(OUT, 'latest.md'), markdown);
  // A missed target is a finding, not a failure of the run: the exit code stays 0.
  console.log(`\n${markdown}\nWritten to ${relative(ROOT, OUT)}/latest.{json,md}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
