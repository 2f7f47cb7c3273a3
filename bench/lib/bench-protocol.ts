import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';

/*
 * The messages between the runner and the processes under test. Every server (and a separate queue
 * worker) is its own process, so that process.cpuUsage() and RSS in it are that server's alone and
 * the load generator's work never counts against it.
 */

export type AdapterName = 'express' | 'fastify';

/**
 * The applications a scenario can run; each is one factory in bench-server.ts.
 * `bare`: a Nest POST route and nothing else. `guard`: that route behind the minimal verifying
 * guard (the reference). `module`: the module's endpoint with one no-op handler.
 */
export type BenchAppKind = 'bare' | 'guard' | 'module';

/**
 * `VisiwiseWebhookModule.forRoot()` options of a scenario, without the secret (the bench makes
 * one). Plain data: it travels to the server process as JSON.
 */
export type WebhookBenchOptions = Omit<VisiwiseWebhookModuleOptions, 'secret'>;

/** What a process under test is started with (JSON in `BENCH_SERVER`). */
export interface BenchServerConfig {
  readonly app: BenchAppKind;
  /** `worker`: a Nest application context with no HTTP server (a queue worker process). */
  readonly adapter: AdapterName | 'worker';
  readonly secret: string;
  readonly path: string;
  readonly moduleOptions: WebhookBenchOptions;
}

export type ServerCommand =
  | { readonly type: 'start' }
  /**
   * Ends the window once `expectHandled` deliveries have reached the handlers (or on timeout), so
   * that work done after the answer (a queue worker) is inside it; then reports CPU and memory.
   */
  | { readonly type: 'stop'; readonly expectHandled: number; readonly drainTimeoutMillis: number }
  | { readonly type: 'shutdown' };

/** What one process did in a window, and its memory right after a forced GC. */
export interface WindowMeasurement {
  /** User + system CPU time of the process over the window. */
  readonly cpuMicros: number;
  /** Deliveries that reached the application's code (bare route or no-op handler). */
  readonly handled: number;
  readonly rssAfterGcBytes: number;
  readonly heapUsedAfterGcBytes: number;
}

export type ServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'started' }
  | { readonly type: 'stopped'; readonly measurement: WindowMeasurement }
  | { readonly type: 'failed'; readonly message: string };
