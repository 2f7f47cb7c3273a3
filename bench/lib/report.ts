import { BASELINE_SCENARIO } from '../bench.scenarios';
import type { BenchReport, FixedRateRow, HttpRow, InstructionRow, MicroRow } from './bench-results';
import type { ProfileEntry, ProfileSummary } from './profile-summary';
import type { Spread } from './stats';

const MIB = 1024 * 1024;

type Align = 'left' | 'right';

/** A markdown pipe table whose columns are padded, so that it also reads well on a terminal. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, 3, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const cell = (text: string, column: number): string => {
    const width = widths[column] ?? 0;
    return align[column] === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const line = (cells: readonly string[]): string =>
    `| ${headers.map((_, column) => cell(cells[column] ?? '', column)).join(' | ')} |`;
  const rule = `| ${widths
    .map((width, column) =>
      align[column] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width),
    )
    .join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const integer = (value: number): string =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
const decimal = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
const percent = (fraction: number): string =>
  Number.isFinite(fraction) ? `±${(fraction * 50).toFixed(1)}%` : 'n/a';
const mib = (bytes: number): string => decimal(bytes / MIB, 1);
const signedMib = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${bytes >= 0 ? '+' : ''}${mib(bytes)}`;
const size = (bytes: number): string => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`);

/** "median (min-max)". */
function range(value: Spread, format: (value: number) => string): string {
  return `${format(value.median)} (${format(value.min)}-${format(value.max)})`;
}

function machineSection(report: BenchReport): string {
  const { machine } = report;
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `Mode **${report.mode}**, ${report.startedAt} to ${report.finishedAt}, tree \`${machine.commit}\`.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${mib(machine.totalMemoryBytes)} MB RAM, ` +
      `${machine.os}; Node ${machine.node} (V8 ${machine.v8}); load average ` +
      `${decimal(machine.loadAverage.start)} at start, ${decimal(machine.loadAverage.end ?? NaN)} at ` +
      'the end (the bench keeps about 2 busy; more means other work shared the cores).',
    '',
    `Packages: ${packages}.`,
  ].join('\n');
}

function targetsSection(report: BenchReport): string {
  return table(
    ['Target', 'Threshold', 'Measured', 'Status'],
    report.targets.map((target) => [
      target.target,
      target.threshold,
      target.measured,
      target.status,
    ]),
  );
}

function microSection(rows: readonly MicroRow[]): string {
  const sizes = [...new Set(rows.map((row) => row.sizeBytes))];
  const header = ['Contender', ...sizes.map((bytes) => `${size(bytes)}: ops/s (spread)`)];
  const names = [...new Set(rows.map((row) => row.name))];
  const opsRows = names.map((name) => [
    name,
    ...sizes.map((bytes) => {
      const row = rows.find((entry) => entry.name === name && entry.sizeBytes === bytes);
      return row
        ? `${integer(row.opsPerSecond.median)} (${percent(row.opsPerSecond.relativeSpread)})`
        : '';
    }),
  ]);
  const ratioRows = names.map((name) => [
    name,
    ...sizes.map((bytes) => {
      const row = rows.find((entry) => entry.name === name && entry.sizeBytes === bytes);
      return row ? `${decimal(row.microsPerOp)} µs, ${decimal(row.ratioToFloor)}x floor` : '';
    }),
  ]);
  const align: Align[] = ['left', ...sizes.map((): Align => 'right')];
  return [
    'Medians over interleaved rounds; spread = half the min-max range, relative to the median.',
    '',
    table(header, opsRows, align),
    '',
    table(['Contender', ...sizes.map((bytes) => `${size(bytes)}: per op`)], ratioRows, align),
  ].join('\n');
}

function httpSection(report: BenchReport): string {
  const http = report.http;
  if (!http) {
    return '';
  }
  const rows = http.rows.map((row: HttpRow) => [
    row.adapter,
    size(row.bodyBytes),
    row.scenario,
    range(row.requestsPerSecond, integer),
    decimal(row.p50Millis.median),
    range(row.p99Millis, (value) => decimal(value)),
    range(row.cpuMicrosPerDelivery, (value) => decimal(value, 0)),
    mib(row.peakRssBytes),
    row.problems.join('; '),
  ]);
  const comparisons = http.comparisons.map((entry) => [
    entry.adapter,
    size(entry.bodyBytes),
    `${entry.subject} / ${entry.baseline}`,
    `${decimal(entry.throughputRatio)}x (${decimal(entry.pairedThroughputRatio.min)}-${decimal(entry.pairedThroughputRatio.max)})`,
    `${decimal(entry.cpuRatio)}x`,
    `${entry.addedCpuMicros >= 0 ? '+' : ''}${decimal(entry.addedCpuMicros, 0)}`,
    `${decimal(entry.p99Ratio)}x`,
    `${entry.rssDeltaBytes >= 0 ? '+' : ''}${mib(entry.rssDeltaBytes)}`,
  ]);
  const parts = [
    `${String(report.plan.http.rounds)} interleaved rounds of ${String(report.plan.http.durationSeconds)} s per scenario, ` +
      `${String(report.plan.http.connections)} connections, a unique svix-id per request. ` +
      'Medians (min-max over rounds). CPU = server process CPU time (user + system) per 2xx ' +
      'delivery; peak RSS = kernel high-water mark of the server process.',
    '',
    table(
      [
        'Adapter',
        'Body',
        'Scenario',
        'req/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/delivery',
        'Peak RSS MB',
        'Problems',
      ],
      rows,
      ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
    '',
    'Ratios (subject over baseline): req/s from the medians (per-round ratios in brackets); ' +
      '"by CPU" = baseline CPU per delivery over the subject\'s, the ratio a CPU-bound server would ' +
      'show without the load generator competing for the same cores.',
    '',
    table(
      ['Adapter', 'Body', 'Ratio', 'req/s', 'by CPU', 'CPU µs added', 'p99', 'RSS MB'],
      comparisons,
      ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right'],
    ),
  ];
  if (http.skipped.length > 0) {
    parts.push('', `Skipped: ${http.skipped.join('; ')}.`);
  }
  return parts.join('\n');
}

function soakSection(report: BenchReport): string {
  const soak = report.soak;
  if (!soak) {
    return '';
  }
  const rows = soak.checkpoints.map((point) => [
    integer(point.deliveries),
    mib(point.rssBytes),
    mib(point.heapUsedBytes),
    mib(point.heapTotalBytes),
    mib(point.externalBytes),
  ]);
  return [
    `${integer(soak.deliveries)} distinct deliveries over HTTP to the ${soak.scenario}, on ` +
      `${soak.adapter} (${integer(soak.requestsPerSecond)} req/s); memory after a full GC at each ` +
      `checkpoint. While the store fills: ${decimal(soak.store.bytesPerStoredId, 0)} B of heap per ` +
      `stored id; once it is full (the last ${integer(soak.store.deliveriesAfterCap ?? NaN)} ` +
      'deliveries): heap ' +
      `${signedMib(soak.store.heapGrowthAfterCapBytes)} MB, RSS ` +
      `${signedMib(soak.store.rssGrowthAfterCapBytes)} MB. From the first checkpoint to the last: ` +
      `heap ${signedMib(soak.heapGrowthBytes)} MB, RSS ${signedMib(soak.rssGrowthBytes)} MB.` +
      (soak.problems.length > 0 ? ` Problems: ${soak.problems.join('; ')}.` : ''),
    '',
    table(['Deliveries', 'RSS MB', 'Heap used MB', 'Heap committed MB', 'External MB'], rows, [
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  ].join('\n');
}

function profileSection(profiles: readonly ProfileSummary[]): string {
  const lines = (entries: readonly ProfileEntry[], count: number): string[][] =>
    entries
      .slice(0, count)
      .map((entry) => [
        entry.name,
        `${decimal(entry.share * 100, 1)}%`,
        decimal(entry.microsPerRequest, 1),
      ]);
  const align: Align[] = ['left', 'right', 'right'];
  return [
    'Where the server CPU time of one request goes. The V8 sampler runs on wall-clock time, and ' +
      'on cores shared with the load generator a preempted thread keeps collecting samples inside ' +
      'system calls; so samples are converted to microseconds against CPU time measured in an ' +
      'unprofiled run just before: system-call samples (socket writes, `(program)`) against system ' +
      'time, all others against user time. Native code (JSON.parse, HMAC) counts in the component ' +
      'that called it. Open the `.cpuprofile` files in Chrome DevTools or VS Code for the detail.',
    ...profiles.map((profile) =>
      [
        '',
        `#### ${profile.label}`,
        '',
        `${integer(profile.requests)} requests profiled. CPU per request without the profiler: ` +
          `${decimal(profile.cpuUserMicrosPerRequest, 1)} µs user + ` +
          `${decimal(profile.cpuSystemMicrosPerRequest, 1)} µs system ` +
          `(${decimal(profile.profiledCpuMicrosPerRequest, 1)} µs in all with it); \`${profile.file}\`.`,
        '',
        table(
          ['Component (self time)', 'Share', 'µs/request'],
          lines(profile.components, 12),
          align,
        ),
        '',
        table(['Function (inclusive)', 'Share', 'µs/request'], lines(profile.inclusive, 16), align),
        '',
        table(['Function (self time)', 'Share', 'µs/request'], lines(profile.topSelf, 12), align),
      ].join('\n'),
    ),
  ].join('\n');
}

function fixedRateSection(rows: readonly FixedRateRow[]): string {
  const baseline = (row: FixedRateRow): FixedRateRow | undefined =>
    rows.find(
      (candidate) =>
        candidate.adapter === row.adapter &&
        candidate.bodyBytes === row.bodyBytes &&
        candidate.scenario === BASELINE_SCENARIO,
    );
  return [
    "Open-loop load at a fixed rate, half the bare route's measured capacity on each adapter " +
      '(10 connections, interleaved rounds; medians with min-max): the latency a server sees below ' +
      'saturation, where p99 no longer just mirrors throughput. "p99 x bare" is this row\'s p99 over ' +
      "the bare route's at the same rate.",
    '',
    table(
      [
        'Adapter',
        'Body',
        'Scenario',
        'Offered req/s',
        'Achieved req/s',
        'p50 ms',
        'p99 ms',
        'p99 x bare',
        'CPU µs/delivery',
        'Problems',
      ],
      rows.map((row) => {
        const bare = baseline(row);
        return [
          row.adapter,
          size(row.bodyBytes),
          row.scenario,
          integer(row.offeredRate),
          integer(row.requestsPerSecond.median),
          decimal(row.p50Millis.median),
          range(row.p99Millis, (value) => decimal(value)),
          bare ? `${decimal(row.p99Millis.median / bare.p99Millis.median)}x` : 'n/a',
          integer(row.cpuMicrosPerDelivery.median),
          row.problems.join('; '),
        ];
      }),
      ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
  ].join('\n');
}

function instructionsSection(rows: readonly InstructionRow[]): string {
  const baseline = (adapter: string): InstructionRow | undefined =>
    rows.find((row) => row.adapter === adapter && row.scenario === BASELINE_SCENARIO);
  return [
    'Instructions the server process executed per request (every thread: JavaScript, V8 compiler ' +
      "and garbage collector, libuv), counted by valgrind's callgrind over a fixed number of " +
      'requests after a warm-up. Unlike time, the count does not depend on what else the cores ' +
      'were doing, so it is the steady figure for comparing two builds; it is not time either (a ' +
      'cache miss counts as one instruction). "x bare" = bare route / this row, the ratio a ' +
      'CPU-bound server would show if every instruction cost the same. "JIT compiler" is the part ' +
      "spent in V8's compilers, still optimising after the warm-up; it fades in a long run, so " +
      'the ratio without it is the steadier one.',
    '',
    table(
      [
        'Adapter',
        'Scenario',
        'Requests',
        'Instructions/request',
        'x bare',
        'JIT compiler',
        'Without compiler',
        'x bare',
      ],
      rows.map((row) => {
        const bare = baseline(row.adapter);
        const steady = (entry: InstructionRow): number =>
          entry.instructionsPerRequest - entry.compilerInstructionsPerRequest;
        return [
          row.adapter,
          row.scenario,
          integer(row.requests),
          integer(row.instructionsPerRequest),
          bare ? `${decimal(bare.instructionsPerRequest / row.instructionsPerRequest)}x` : 'n/a',
          integer(row.compilerInstructionsPerRequest),
          integer(steady(row)),
          bare ? `${decimal(steady(bare) / steady(row))}x` : 'n/a',
        ];
      }),
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  ].join('\n');
}

/** The whole report as markdown (bench/results/latest.md). */
export function renderMarkdown(report: BenchReport): string {
  const sections: string[] = ['# Benchmark results', '', machineSection(report)];
  sections.push('', '## Targets', '', targetsSection(report));
  if (report.micro) {
    sections.push('', '## verify micro-benchmark', '', microSection(report.micro));
  }
  if (report.http) {
    sections.push('', '## End-to-end HTTP', '', httpSection(report));
  }
  if (report.fixedRate && report.fixedRate.length > 0) {
    sections.push('', '## Latency at a fixed rate', '', fixedRateSection(report.fixedRate));
  }
  if (report.soak) {
    sections.push('', '## Soak', '', soakSection(report));
  }
  if (report.profiles && report.profiles.length > 0) {
    sections.push('', '## CPU profiles', '', profileSection(report.profiles));
  }
  if (report.instructions && report.instructions.length > 0) {
    sections.push('', '## Instructions per request', '', instructionsSection(report.instructions));
  }
  return `${sections.join('\n')}\n`;
}

/** What the terminal shows at the end of a run: the tables, without the profiles' detail. */
export function renderConsole(report: BenchReport): string {
  const sections: string[] = [];
  if (report.micro) {
    sections.push('verify micro-benchmark', microSection(report.micro));
  }
  if (report.http) {
    sections.push('End-to-end HTTP', httpSection(report));
  }
  if (report.fixedRate && report.fixedRate.length > 0) {
    sections.push('Latency at a fixed rate', fixedRateSection(report.fixedRate));
  }
  if (report.soak) {
    sections.push('Soak', soakSection(report));
  }
  if (report.instructions && report.instructions.length > 0) {
    sections.push('Instructions per request', instructionsSection(report.instructions));
  }
  sections.push('Targets', targetsSection(report));
  return sections.join('\n\n');
}
