import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portIsFree } from './redis-server';
import { waitFor } from './redis';

const BIN = process.env['POSTGRES_BIN'] ?? '/usr/lib/postgresql/15/bin';

/**
 * The account the server runs as: PostgreSQL refuses to run as root, and tests run as root in CI.
 * Undefined when we are not root (the server then runs as us).
 */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return uid.status === 0 && gid.status === 0
    ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
    : undefined;
}

/** Whether a PostgreSQL server can be started here (binaries, and a non-root account if root). */
export const HAS_POSTGRES_SERVER =
  existsSync(join(BIN, 'initdb')) &&
  existsSync(join(BIN, 'postgres')) &&
  (process.getuid?.() !== 0 || serverAccount() !== undefined);

/**
 * `describe` for suites that start their own PostgreSQL server: skipped loudly where there is
 * none, failing instead when the database is required (CI, REQUIRE_DATABASE=1).
 */
export const describeWithPostgresServer: jest.Describe = HAS_POSTGRES_SERVER
  ? describe
  : process.env['REQUIRE_DATABASE'] === '1' || process.env['CI'] === 'true'
    ? (((name: string) => {
        describe(name, () => {
          it(`needs PostgreSQL server binaries in ${BIN}`, () => {
            throw new Error(
              `initdb and postgres are required (CI or REQUIRE_DATABASE=1) but not in ${BIN}`,
            );
          });
        });
      }) as unknown as jest.Describe)
    : describe.skip;

// Ports of the test-owned servers: away from the shared 5432.
const PORT_MIN = 5500;
const PORT_MAX = 5599;

const run = promisify(execFile);

/**
 * A PostgreSQL server owned by one test suite, in a data directory of its own: crashed with
 * SIGKILL, restarted on the same port and data, stopped and deleted at will. initdb takes a few
 * seconds, so start one per suite, not per test.
 */
export class TestPostgresServer {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly account: { uid: number; gid: number } | undefined,
  ) {}

  /** initdb into a temporary directory (trust auth, user postgres), then start on a free port. */
  static async start(): Promise<TestPostgresServer> {
    const account = serverAccount();
    const dir = mkdtempSync(join(tmpdir(), 'visiwise-pg-'));
    if (account) {
      chownSync(dir, account.uid, account.gid);
    }
    await run(
      join(BIN, 'initdb'),
      [
        '-D',
        join(dir, 'data'),
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      { ...account, cwd: dir },
    );
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
      if (!(await portIsFree(port))) {
        continue;
      }
      const server = new TestPostgresServer(port, dir, account);
      if (
        await server.restart().then(
          () => true,
          () => false,
        )
      ) {
        return server;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`No free port for a test PostgreSQL server in ${PORT_MIN}-${PORT_MAX}`);
  }

  /** The URL clients use: database `postgres`, user `postgres`, no password. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** (Re)starts the server on its port and data directory, and waits until it accepts queries. */
  async restart(): Promise<void> {
    if (this.process) {
      return;
    }
    // Its own process group (detached), so that kill() takes the postmaster and every backend at
    // once, like a machine crash; the socket directory is ours, not the system server's.
    const child = spawn(
      join(BIN, 'postgres'),
      [
        '-D',
        join(this.dir, 'data'),
        '-p',
        String(this.port),
        '-k',
        this.dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=30',
      ],
      { ...this.account, detached: true, stdio: 'ignore' },
    );
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
          throw new Error(`postgres on port ${this.port} exited at start`);
        }
        return run(join(BIN, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(this.port)])
          .then(() => true)
          .catch(() => false);
      },
      15_000,
      `postgres on port ${this.port}`,
    );
  }

  /** SIGKILL to the whole server at once: connections drop, nothing is shut down cleanly. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the server (fast shutdown) and deletes its data directory. */
  async stop(): Promise<void> {
    await this.signal('SIGINT');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child?.pid) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal);
    await exited;
  }
}
