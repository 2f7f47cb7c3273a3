import type { LoggerService } from '@nestjs/common';
import { format } from 'node:util';

export type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

export interface LogEntry {
  readonly level: LogLevel;
  /** Message and every extra argument (stack, context), joined: what a real logger would print. */
  readonly text: string;
}

/**
 * Records every log line of the app under test instead of printing it. Tests assert on expected
 * errors and warnings with `take()`, and `assertNoUnexpected()` fails on any other error/warn.
 */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  private readonly expected = new Set<LogEntry>();

  log(message: unknown, ...rest: unknown[]): void {
    this.record('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.record('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.record('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.record('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.record('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.record('fatal', message, rest);
  }

  /** Everything logged, as one string (for "the secret never appears" checks). */
  get allText(): string {
    return this.entries.map((entry) => entry.text).join('\n');
  }

  /** Entries of a level whose text contains `needle`; they become expected. */
  take(level: LogLevel, needle: string): LogEntry[] {
    const found = this.entries.filter(
      (entry) => entry.level === level && entry.text.includes(needle),
    );
    found.forEach((entry) => this.expected.add(entry));
    return found;
  }

  /** Throws if an error, fatal or warning was logged that no test took as expected. */
  assertNoUnexpected(): void {
    const unexpected = this.entries.filter(
      (entry) =>
        (entry.level === 'error' || entry.level === 'fatal' || entry.level === 'warn') &&
        !this.expected.has(entry),
    );
    if (unexpected.length > 0) {
      throw new Error(
        `Unexpected log output:\n${unexpected.map((e) => `[${e.level}] ${e.text}`).join('\n')}`,
      );
    }
  }

  private record(level: LogLevel, message: unknown, rest: unknown[]): void {
    this.entries.push({ level, text: [message, ...rest].map((part) => format(part)).join(' ') });
  }
}
