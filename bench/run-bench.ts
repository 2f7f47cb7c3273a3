/*
 * The bench runner (`npm run bench [-- --quick]`): the verify micro-benchmark, the HTTP scenarios
 * in interleaved rounds, and latency at a fixed rate; then the targets, PASS or FAIL, printed and
 * written to bench/results/latest.{json,md}. See docs/BENCHMARKS.md.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FULL_PLAN, QUICK_PLAN, SCENARIOS, type Scenario } from './bench.scenarios';
import { evaluateTargets } from './bench.targets';
import { BenchChild } from './lib/bench-child';
import { cleanUpPostgres, cleanUpRedis, serviceMissing } from './lib/bench-services';
import { runLoad } from './lib/load';
import { loadAverage, machineInfo } from './lib/machine';
import { benchSecret } from './lib/payload';
import { renderReport } from './lib/report';
import {
  ADAPTERS,
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
} from './lib/results';

const PHASES = ['micro', 'http', 'latency'] as const;
type Phase = (typeof PHASES)[number];
const ROOT = resolve(__dirname, '..', '..');
const SERVER_ENTRY = join(__dirname, 'apps', 'bench-server.js');
const PATH = 'webhooks/visiwise';

type ServerChild = BenchChild<ServerCommand, ServerReply>;

interface Server {
  readonly scenario: Scenario;
  readonly adapter: AdapterName;
  readonly port: number;
  /** The receiving server, then the separate queue worker of `worker: 'separate'`. */
  readonly children: readonly [ServerChild, ...ServerChild[]];
  /** Highest req/s seen, to size the next pool of signed requests. */
  rate: number;
}

/** The names in a comma-separated option, each one of `allowed`. */
function names(option: string, value: string, allowed: readonly string[]): string[] {
  const given = value.split(',').map((name) => name.trim());
  const unknown = given.filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new Error(`--${option}: ${unknown.join(', ')} not among ${allowed.join(', ')}`);
  }
  return given;
}

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
  const scenarios = values.scenarios;
  const all = SCENARIOS.map((scenario) => scenario.name);
  return {
    command: ['npm run bench --', ...args].join(' '),
    phases: new Set(names('only', values.only, PHASES) as Phase[]),
    plan: values.quick ? QUICK_PLAN : FULL_PLAN,
    quick: values.quick,
    out: resolve(ROOT, values.out),
    cpuProf: values['cpu-prof'],
    scenarios: scenarios === undefined ? undefined : new Set(names('scenarios', scenarios, all)),
  };
}

const OPTIONS = parseOptions(process.argv.slice(2));
const SECRET = benchSecret();

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
  const profile = ['--cpu-prof', `--cpu-prof-dir=${join(OPTIONS.out, 'profiles')}`];
  const execArgv = ['--expose-gc', ...(OPTIONS.cpuProf ? profile : [])];
  const spawn = async (role: AdapterName | 'worker', worker?: boolean) => {
    const config: BenchServerConfig = {
      app: scenario.app,
      adapter: role,
      secret: SECRET,
      path: PATH,
      moduleOptions:
        worker === undefined
          ? moduleOptions
          : { ...moduleOptions, queue: { ...moduleOptions.queue, worker } },
    };
    const env = {
      BENCH_SERVER: JSON.stringify(config),
      NODE_ENV: 'production',
      ...scenario.env?.(instance, SECRET),
    };
    const child: ServerChild = new BenchChild(
      `${adapter}/${scenario.name} ${role}`,
      SERVER_ENTRY,
      env,
      execArgv,
    );
    return { child, port: (await child.request(undefined, 'ready', 60_000)).port };
  };
  const worker = scenario.worker === 'separate' ? (await spawn('worker', true)).child : undefined;
  const { child, port } = await spawn(adapter, worker ? false : undefined);
  return { scenario, adapter, port, children: worker ? [child, worker] : [child], rate: 0 };
}

/** Starts the HTTP scenarios that can run here on their adapters; says why others are skipped. */
async function startServers(servers: Server[], skipped: string[]): Promise<void> {
  const missing = {
    redis: await serviceMissing('redis'),
    postgres: await serviceMissing('postgres'),
  };
  for (const adapter of ADAPTERS) {
    for (const scenario of SCENARIOS) {
      if (!(scenario.adapters ?? ADAPTERS).includes(adapter)) continue;
      if (OPTIONS.scenarios?.has(scenario.name) === false) continue;
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
  durationSeconds: number,
  overallRate?: number,
): Promise<Round> {
  const [receiver, worker] = server.children;
  const { bodyBytes, connections } = OPTIONS.plan.http;
  const load = await runLoad(
    {
      port: server.port,
      path: `/${PATH}${server.scenario.route ?? ''}`,
      secret: SECRET,
      bodyBytes,
      connections,
      durationSeconds,
      overallRate,
      presign: Math.ceil(Math.max(server.rate, 2_000) * durationSeconds * 1.3),
    },
    // The pool is signed by now: only the load itself is inside the window.
    () => Promise.all(server.children.map((child) => child.request({ type: 'start' }, 'started'))),
  );
  const stop = async (child: ServerChild, expectHandled: number) =>
    (await child.request({ type: 'stop', expectHandled }, 'stopped')).measurement;
  const receive = await stop(receiver, worker ? 0 : load.ok2xx);
  const work = worker && (await stop(worker, load.ok2xx));
  server.rate = Math.max(server.rate, load.requestsPerSecond);
  return {
    requestsPerSecond: load.requestsPerSecond,
    p50Millis: load.p50Millis,
    p99Millis: load.p99Millis,
    receiveCpuMicros: receive.cpuMicros / load.ok2xx,
    ...(work ? { workerCpuMicros: work.cpuMicros / work.handled } : {}),
    rssAfterGcBytes: receive.rssAfterGcBytes,
    problems: load.problems + Math.max(0, load.ok2xx - (work ?? receive).handled),
  };
}

interface Run {
  readonly server: Server;
  readonly seconds: number;
  /** Open-loop rate, requests/s; unset: closed loop. */
  readonly rate?: number;
  readonly rounds: Round[];
}

/**
 * Interleaved rounds (A B C ... A B C ...), so that a slower minute of the shared machine hits
 * every server alike.
 */
async function interleave(phase: Phase, runs: readonly Run[], rounds: number): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    for (const { server, seconds, rate, rounds: measured } of runs) {
      const result = await measure(server, seconds, rate);
      measured.push(result);
      const worker = result.workerCpuMicros;
      console.log(
        `[${phase}] round ${round}/${rounds} ${server.adapter}/${server.scenario.name}: ` +
          `${result.requestsPerSecond.toFixed(0)} req/s, ${result.receiveCpuMicros.toFixed(1)}` +
          (worker === undefined ? '' : ` + ${worker.toFixed(1)} (worker)`) +
          ` µs CPU/delivery, p99 ${result.p99Millis.toFixed(2)} ms`,
      );
    }
  }
}

/** A server's row: the medians of its rounds (problems: their sum). */
function toRow({ adapter, scenario, children }: Server, rounds: readonly Round[]): ScenarioRow {
  const of = (value: (round: Round) => number): number => median(rounds.map(value));
  const receiveCpuMicros = of((round) => round.receiveCpuMicros);
  const workerCpuMicros = children[1] ? of((round) => round.workerCpuMicros ?? NaN) : undefined;
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
  const { warmupSeconds, seconds, rounds } = OPTIONS.plan.http;
  for (const server of servers) await measure(server, warmupSeconds);
  const runs = servers.map((server): Run => ({ server, seconds, rounds: [] }));
  await interleave('http', runs, rounds);
  return runs.map((run) => toRow(run.server, run.rounds));
}

/**
 * The `latency` scenarios at the same open-loop rate, half the bare route's closed-loop req/s:
 * at saturation p99 only mirrors throughput, at a fixed rate it shows the module's own delay.
 */
async function runLatency(servers: readonly Server[], http: readonly ScenarioRow[]) {
  const { seconds, rounds, fraction } = OPTIONS.plan.latency;
  const runs = servers.flatMap((server): Run[] => {
    const bare = http.find((row) => row.adapter === server.adapter && row.scenario === 'bare');
    if (!bare || !server.scenario.latency) return [];
    return [{ server, seconds, rate: Math.round(bare.requestsPerSecond * fraction), rounds: [] }];
  });
  await interleave('latency', runs, rounds);
  return runs.map(({ server, rate, rounds }): LatencyRow => {
    const { adapter, scenario, p50Millis, p99Millis, cpuMicros, problems } = toRow(server, rounds);
    return {
      adapter,
      scenario,
      offeredRate: rate ?? NaN,
      p50Millis,
      p99Millis,
      cpuMicros,
      problems,
    };
  });
}

async function main(): Promise<void> {
  const { plan, phases } = OPTIONS;
  const started = Date.now();
  linkLibrary();
  const machine = machineInfo(ROOT);
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
      await startServers(servers, results.skipped);
      results.http = await runHttp(servers);
      if (phases.has('latency')) results.latency = await runLatency(servers, results.http);
    } finally {
      const children = servers.flatMap((server) => server.children);
      await Promise.all(children.map((child) => child.stop({ type: 'shutdown' })));
      if (servers.some((server) => server.scenario.requires === 'redis')) {
        console.log(`[http] deleted ${await cleanUpRedis()} Redis keys the run left`);
      }
      if (servers.some((server) => server.scenario.requires === 'postgres')) {
        console.log(`[http] dropped ${await cleanUpPostgres()} PostgreSQL schemas`);
      }
    }
  } else if (phases.has('latency')) {
    results.skipped.push("latency: needs the http phase (its rate is half the bare route's req/s)");
  }

  machine.loadAverage.end = loadAverage();
  const report: BenchReport = {
    command: OPTIONS.command,
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine,
    results,
    targets: evaluateTargets(results),
  };
  const markdown = renderReport(report);
  mkdirSync(OPTIONS.out, { recursive: true });
  writeFileSync(join(OPTIONS.out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(OPTIONS.out, 'latest.md'), markdown);
  // A missed target is a finding, not a failure of the run: the exit code stays 0.
  console.log(`\n${markdown}\nWritten to ${relative(ROOT, OPTIONS.out)}/latest.{json,md}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
