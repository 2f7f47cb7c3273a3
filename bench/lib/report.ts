import { median, type BenchReport } from './results';

const MIB = 1024 * 1024;
const fixed = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value) ? '' : value.toFixed(digits);

/**
 * A markdown table with padded columns (`header` as in markdown: `A | B`), readable as printed and
 * valid markdown in latest.md; none when its phase did not run.
 */
function table(title: string, header: string, rows?: readonly (readonly string[])[]): string[] {
  if (!rows) return [];
  const headers = header.split(' | ');
  const widths = headers.map((name, column) =>
    Math.max(name.length, ...rows.map((cells) => cells[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  const rule = line(widths.map((width) => '-'.repeat(width)));
  return ['', `## ${title}`, '', line(headers), rule, ...rows.map(line)];
}

/** The report as markdown: where and how it was measured, the targets, then every figure. */
export function renderReport({ machine, results, ...report }: BenchReport): string {
  const { cpu, cores, os, node, commit, loadAverage } = machine;
  const packages = Object.entries(machine.packages).map(([name, version]) => `${name} ${version}`);
  return [
    '# Benchmark results',
    '',
    `\`${report.command}\`, ${report.startedAt} (${fixed(report.seconds)} s), tree \`${commit}\`.`,
    `${cpu}, ${cores} cores, ${os}, Node ${node}; ${packages.join(', ')}. ` +
      `Load average ${fixed(loadAverage.start, 2)} at start, ${fixed(loadAverage.end, 2)} at end.`,
    ...table(
      'Targets',
      'Target | Threshold | Measured | Status',
      report.targets.map((row) => [row.target, row.threshold, row.measured, row.status]),
    ),
    ...table(
      'HTTP, 1 KiB, 10 connections: medians of interleaved rounds',
      'Adapter | Scenario | req/s | CPU µs/delivery | receive + worker | ' +
        'p99 ms | RSS MB | Problems',
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
    ),
    ...[
      ["Latency at a fixed offered rate: half the bare route's req/s", results.latency] as const,
      ['Capacity: one offered rate for every scenario', results.rate] as const,
    ].flatMap(([title, rows]) =>
      table(
        title,
        'Adapter | Scenario | Offered req/s | Answered req/s | p50 ms | p99 ms | ' +
          'CPU µs/delivery | Problems',
        rows?.map((row) => [
          row.adapter,
          row.scenario,
          fixed(row.offeredRate),
          fixed(row.requestsPerSecond),
          fixed(row.p50Millis, 2),
          fixed(row.p99Millis, 2),
          fixed(row.cpuMicros, 1),
          String(row.problems),
        ]),
      ),
    ),
    ...table(
      'verify micro-benchmark: tinybench, median of rounds',
      'Contender | Body | µs/op',
      results.micro?.map((row) => [
        row.name,
        `${row.sizeBytes / 1024} KiB`,
        fixed(1e6 / median(row.opsPerSecondByRound), 2),
      ]),
    ),
    '',
    ...results.skipped.map((reason) => `Skipped: ${reason}`),
    '',
  ].join('\n');
}
