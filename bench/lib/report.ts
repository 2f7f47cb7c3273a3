import { median, type BenchReport } from './results';

const MIB = 1024 * 1024;
const fixed = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value) ? '' : value.toFixed(digits);

/** A markdown table with padded columns: readable as printed, and valid markdown in latest.md. */
function table(
  title: string,
  headers: string[],
  rows: readonly (readonly (string | undefined)[])[],
): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly (string | undefined)[]): string =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  const rule = line(widths.map((width) => '-'.repeat(width)));
  return ['', `## ${title}`, '', line(headers), rule, ...rows.map(line)];
}

/** The report as markdown: where and how it was measured, the targets, then every figure. */
export function renderReport({ machine, results, ...report }: BenchReport): string {
  const packages = Object.entries(machine.packages).map(([name, version]) => `${name} ${version}`);
  const out = [
    '# Benchmark results',
    '',
    `\`${report.command}\`, ${report.startedAt} (${fixed(report.seconds)} s), tree \`${machine.commit}\`.`,
    `${machine.cpu}, ${String(machine.cores)} cores, ${machine.os}, Node ${machine.node}; ` +
      `${packages.join(', ')}. Load average ${fixed(machine.loadAverage.start, 2)} at start, ` +
      `${fixed(machine.loadAverage.end, 2)} at end.`,
    ...table(
      'Targets',
      ['Target', 'Threshold', 'Measured', 'Status'],
      report.targets.map((entry) => [entry.target, entry.threshold, entry.measured, entry.status]),
    ),
  ];
  const sections: [string, string[], (string | undefined)[][] | undefined][] = [
    [
      'HTTP, 1 KiB, 10 connections: medians of interleaved rounds',
      [
        'Adapter',
        'Scenario',
        'req/s',
        'CPU µs/delivery',
        'receive + worker',
        'p99 ms',
        'RSS MB',
        'Problems',
      ],
      results.http?.map((row) => [
        row.adapter,
        row.scenario,
        fixed(row.requestsPerSecond),
        fixed(row.cpuMicros, 1),
        row.workerCpuMicros === undefined
          ? ''
          : `${fixed(row.receiveCpuMicros, 1)} + ${fixed(row.workerCpuMicros, 1)}`,
        fixed(row.p99Millis, 2),
        fixed(row.rssAfterGcBytes / MIB, 1),
        String(row.problems),
      ]),
    ],
    [
      "Latency at a fixed offered rate: half the bare route's req/s",
      ['Adapter', 'Scenario', 'Offered req/s', 'p50 ms', 'p99 ms', 'CPU µs/delivery', 'Problems'],
      results.latency?.map((row) => [
        row.adapter,
        row.scenario,
        fixed(row.offeredRate),
        fixed(row.p50Millis, 2),
        fixed(row.p99Millis, 2),
        fixed(row.cpuMicros, 1),
        String(row.problems),
      ]),
    ],
    [
      'verify micro-benchmark: tinybench, median of rounds',
      ['Contender', 'Body', 'µs/op'],
      results.micro?.map((row) => [
        row.name,
        `${String(row.sizeBytes / 1024)} KiB`,
        fixed(1e6 / median(row.opsPerSecondByRound), 2),
      ]),
    ],
  ];
  for (const [title, headers, rows] of sections) {
    if (rows) out.push(...table(title, headers, rows));
  }
  out.push('', ...results.skipped.map((reason) => `Skipped: ${reason}`));
  return `${out.join('\n')}\n`;
}
