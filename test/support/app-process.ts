import { ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import type { VisiwiseWebhookModuleOptions } from 'nestjs-visiwise-webhook';
import { signVisiwiseWebhook } from 'nestjs-visiwise-webhook/testing';
import type { AdapterName } from './adapters';
import { shipmentTracked } from './payloads';
import { waitFor } from './redis';

/** A line the fixture app printed (see test/fixtures/webhook-app-process.js). */
export interface AppRecord {
  readonly at: number;
  readonly kind: 'ready' | 'started' | 'handled' | 'log' | 'closed';
  readonly id?: string;
  readonly port?: number;
  readonly level?: string;
  readonly text?: string;
}

/** How the process ended, and how long after SIGTERM. */
export interface AppExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds from SIGTERM to exit. */
  readonly afterSigtermMs: number;
}

export interface AppProcessOptions {
  readonly adapter: AdapterName;
  readonly moduleOptions: VisiwiseWebhookModuleOptions;
  /** How long the shipment.tracked handler takes. */
  readonly handlerMs?: number;
  /** `hooks` (enableShutdownHooks) or `close` (app.close() on SIGTERM, then a natural exit). */
  readonly shutdown?: 'hooks' | 'close';
}

/** The fixture webhook app running as its own process, on the built package. */
export class AppProcess {
  readonly records: AppRecord[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private sigtermAt: number | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly secret: string,
  ) {
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.records.push(JSON.parse(line) as AppRecord);
        } catch {
          this.records.push({ at: Date.now(), kind: 'log', level: 'stdout', text: line });
        }
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
  }

  /** Starts the app and waits until it listens. */
  static async start(options: AppProcessOptions): Promise<AppProcess> {
    const secret = options.moduleOptions.secret as string;
    const child = spawn(process.execPath, [join(__dirname, '../fixtures/webhook-app-process.js')], {
      env: {
        ...process.env,
        APP_ADAPTER: options.adapter,
        APP_MODULE_OPTIONS: JSON.stringify(options.moduleOptions),
        APP_HANDLER_MS: String(options.handlerMs ?? 0),
        APP_SHUTDOWN: options.shutdown ?? 'hooks',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(child, secret);
    let exited = false;
    void app.exited.then(() => {
      exited = true;
    });
    await waitFor(
      () => {
        if (exited) {
          throw new Error(`the app exited at start:\n${app.describe()}`);
        }
        return app.port !== undefined;
      },
      30_000,
      'the app to listen',
    );
    return app;
  }

  /** The port it listens on, once ready. */
  get port(): number | undefined {
    return this.records.find((record) => record.kind === 'ready')?.port;
  }

  /** Log lines of the app (every level). */
  get logs(): AppRecord[] {
    return this.records.filter((record) => record.kind === 'log');
  }

  /** Whether the handler started / finished for a delivery id. */
  has(kind: 'started' | 'handled', id: string): boolean {
    return this.records.some((record) => record.kind === kind && record.id === id);
  }

  /** POSTs a signed shipment.tracked (one connection per request, closed after it). */
  send(id: string): Promise<number> {
    const body = JSON.stringify(shipmentTracked());
    const headers = signVisiwiseWebhook({ secret: this.secret, payload: body, id });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/webhooks/visiwise',
          method: 'POST',
          agent: false,
          headers: { ...headers, 'content-type': 'application/json', connection: 'close' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            resolve(res.statusCode ?? 0);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends SIGTERM and resolves how the process ended (killing it after `giveUpMs`). */
  async terminate(giveUpMs = 30_000): Promise<AppExit> {
    this.sigtermAt = Date.now();
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.exited,
      new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => {
          resolve('hung');
        }, giveUpMs);
      }),
    ]);
    clearTimeout(timer);
    const afterSigtermMs = Date.now() - this.sigtermAt;
    if (result === 'hung') {
      this.child.kill('SIGKILL');
      await this.exited;
      return { code: null, signal: null, afterSigtermMs };
    }
    return { ...result, afterSigtermMs };
  }

  /** Kills it if it still runs (clean-up). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Everything it printed, for failure messages. */
  describe(): string {
    const origin = this.sigtermAt ?? this.records[0]?.at ?? 0;
    const lines = this.records.map((record) => {
      const level = record.level === undefined ? '' : `[${record.level}]`;
      return `${record.at - origin} ms ${record.kind}${level} ${record.id ?? ''}${record.text ?? ''}`;
    });
    return [...lines, this.stderr].join('\n');
  }
}
