import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { waitFor } from './redis';

/** Whether `redis-server` can be started here (CI installs it; REQUIRE_REDIS=1 demands it). */
export const HAS_REDIS_SERVER = spawnSync('redis-server', ['--version']).status === 0;

/**
 * `describe` for suites that start their own redis-server: skipped loudly where there is none,
 * failing instead when Redis is required (CI, REQUIRE_REDIS=1).
 */
export const describeWithRedisServer: jest.Describe = HAS_REDIS_SERVER
  ? describe
  : process.env['REQUIRE_REDIS'] === '1' || process.env['CI'] === 'true'
    ? (((name: string) => {
        describe(name, () => {
          it('needs redis-server on the PATH', () => {
            throw new Error('redis-server is required (CI or REQUIRE_REDIS=1) but not installed');
          });
        });
      }) as unknown as jest.Describe)
    : describe.skip;

// Ports of the test-owned servers: away from the shared 6379 and from each other's ranges.
const PORT_MIN = 6400;
const PORT_MAX = 6499;

/** Whether nothing listens on the port of 127.0.0.1. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * Whether a server answers PING (after AUTH), over a plain socket: an ioredis client, retried
 * while the server starts, leaves a 2 s timer per failed attempt that holds Jest at its end.
 */
function ping(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1000, () => {
      done(false);
    });
    socket.on('error', () => {
      done(false);
    });
    socket.on('connect', () => {
      socket.write(`${password === undefined ? '' : `AUTH ${password}\r\n`}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.includes('+PONG')) {
        done(true);
      } else if (/(^|\n)-/.test(received)) {
        done(false);
      }
    });
  });
}

/** A redis-server process owned by one test: killed, frozen and restarted at will. */
export class TestRedisServer {
  private process: ChildProcess | undefined;
  private frozen = false;

  private constructor(
    readonly port: number,
    private readonly password: string | undefined,
  ) {}

  /** Starts a server (no persistence) on a free port of 6400-6499, optionally with a password. */
  static async start(options: { password?: string } = {}): Promise<TestRedisServer> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
      if (!(await portIsFree(port))) {
        continue;
      }
      const server = new TestRedisServer(port, options.password);
      if (
        await server.restart().then(
          () => true,
          () => false,
        )
      ) {
        return server;
      }
    }
    throw new Error('No free port for a test redis-server in 6400-6499');
  }

  /** The URL clients use (with the password, when there is one). */
  get url(): string {
    const auth = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on its port and waits until it answers. */
  async restart(): Promise<void> {
    if (this.process) {
      return;
    }
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    if (this.password !== undefined) {
      args.push('--requirepass', this.password);
    }
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.process = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.process === child) {
        this.process = undefined;
      }
    });
    await waitFor(
      async () => {
        if (exited) {
          throw new Error(`redis-server on port ${this.port} exited at start`);
        }
        return ping(this.port, this.password);
      },
      5000,
      `redis-server on port ${this.port}`,
    );
  }

  /** SIGKILL: connections drop at once, nothing is saved. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.frozen = false;
  }

  /** SIGSTOP: connections stay open and nothing is ever answered (a hung or overloaded Redis). */
  freeze(): void {
    this.process?.kill('SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT: a frozen server answers again. */
  thaw(): void {
    this.process?.kill('SIGCONT');
    this.frozen = false;
  }

  /** Ends the server for good (thawing it first, so that it can die). */
  async stop(): Promise<void> {
    if (this.frozen) {
      this.thaw();
    }
    await this.kill();
  }
}
