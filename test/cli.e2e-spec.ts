import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateVisiwiseWebhookSecret } from 'nestjs-visiwise-webhook/testing';
import { CLI_EXIT } from '../libs/visiwise-webhook/src/cli/cli.constants';
import {
  errorLine,
  hintLine,
  rejectedDeliveryHint,
  rejectedDeliveryMessage,
  timeoutMessage,
  unreachableMessage,
} from '../libs/visiwise-webhook/src/cli/cli.messages';
import { ADAPTERS } from './support/adapters';
import { CliRun, runCli } from './support/cli';
import { KitApp, createKitApp } from './support/developer-kit-app';

const BIN = join(__dirname, '../dist/libs/visiwise-webhook/bin/visiwise-webhook.js');
const PATH = '/webhooks/visiwise';

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'visiwise-cli-e2e-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs the CLI in this process, in the suite's working directory. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, env, workDir);
}

/** Runs the built bin as a real process (asynchronously: the app under test shares this loop). */
function spawnBin(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, cwd: workDir, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.each(ADAPTERS)('visiwise-webhook send, to a real app on %s', (adapter) => {
  const secret = generateVisiwiseWebhookSecret();
  const env = { VISIWISE_WEBHOOK_SECRET: secret };
  let kit: KitApp;
  let url: string;

  beforeAll(async () => {
    kit = await createKitApp(adapter, secret, { listen: true });
    url = `${kit.url!}${PATH}`;
  });
  afterAll(async () => {
    await kit.app.close();
  });
  afterEach(() => {
    kit.handlers.known.length = 0;
    kit.handlers.tracked.length = 0;
    kit.handlers.any.length = 0;
    kit.handlers.delayMs = 0;
    kit.logger.assertNoUnexpected();
  });

  it('delivers a realistic shipment.tracked: exit 0, status, latency and body printed, handler ran', async () => {
    const run = await cli(
      ['send', 'shipment.tracked', '--url', url, '--id', `msg_cli_${adapter}`],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(CLI_EXIT.ok);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^POST ${url} shipment\\.tracked \\(svix-id msg_cli_${adapter}, \\d+ bytes\\)$`),
    );
    expect(lines[1]).toMatch(/^200 OK in \d+\.\d ms$/);
    expect(lines[2]).toBe('{"status":"received"}');
    expect(kit.handlers.tracked).toHaveLength(1);
    const event = kit.handlers.tracked[0]!;
    expect(event.id).toBe(`msg_cli_${adapter}`);
    expect(event.data.trackingReference).toBe('MSCU1234566');
    expect(event.data.containerTracking?.portOfDischarge?.unlocode).toBe('NLRTM');
    // The envelope time is the signing time (now), not the fixture's fixed date.
    expect(Math.abs(event.timestamp.getTime() - Date.now())).toBeLessThan(10_000);
    expect(run.stdout + run.stderr).not.toContain(secret.slice(6));
  });

  it.each([
    ['shipment.tracked', 'bill-of-lading', 'HLCUNB2506183021'],
    ['shipment.tracked', 'booking', '254839157'],
    ['shipment.tracked', 'failed', 'FFAU1122330'],
    ['shipment.tracking_failed', undefined, 'FFAU1122330'],
    ['shipment.arrival_time_changed', undefined, 'CMAU3049821'],
    ['shipment.container_movement', undefined, 'MSCU1234566'],
  ])('delivers %s (sample %s) to its typed handler', async (type, sample, reference) => {
    const args = ['send', type, '--url', url, ...(sample ? ['--sample', sample] : [])];
    const run = await cli(args, env);
    expect(run.code).toBe(CLI_EXIT.ok);
    expect(kit.handlers.known.map((e) => e.type)).toEqual([type]);
    const event = kit.handlers.known[0]!;
    const actual =
      event.type === 'shipment.tracked'
        ? event.data.trackingReference
        : event.data.shipment.trackingReference;
    expect(actual).toBe(reference);
  });

  it('sends --data as the data of any event type, signed at --timestamp', async () => {
    writeFileSync(join(workDir, 'data.json'), JSON.stringify({ vessel: 'MSC TESSA', count: 2 }));
    const timestamp = Math.floor(Date.now() / 1000) - 60;
    const run = await cli(
      [
        'send',
        'vessel.departed',
        '--url',
        url,
        '--data',
        'data.json',
        '--timestamp',
        String(timestamp),
      ],
      env,
    );
    expect(run.code).toBe(CLI_EXIT.ok);
    expect(kit.handlers.any).toHaveLength(1);
    expect(kit.handlers.any[0]).toMatchObject({
      type: 'vessel.departed',
      data: { vessel: 'MSC TESSA', count: 2 },
      timestamp: new Date(timestamp * 1000),
    });
    // Unknown types are acknowledged and reported once, at log level.
    kit.logger.take('log', 'vessel.departed');
  });

  it('exits 1 with the reason when the endpoint refuses the delivery (wrong secret)', async () => {
    const run = await cli([
      'send',
      'shipment.tracked',
      '--url',
      url,
      '--secret',
      generateVisiwiseWebhookSecret(),
    ]);
    expect(run.code).toBe(CLI_EXIT.rejected);
    expect(run.stdout).toMatch(
      /^POST .*\n401 Unauthorized in \d+\.\d ms\n\{.*"reason":"invalid_signature"/,
    );
    expect(run.stderr).toBe(
      errorLine(rejectedDeliveryMessage(401, 'invalid_signature')) +
        hintLine(rejectedDeliveryHint(401)!),
    );
    expect(kit.handlers.any).toHaveLength(0);
  });

  it('exits 1 for a stale signing time (the receiver answers 401 timestamp_too_old)', async () => {
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const run = await cli(['send', 'shipment.tracked', '--url', url, '--timestamp', stale], env);
    expect(run.code).toBe(CLI_EXIT.rejected);
    expect(run.stderr).toContain(rejectedDeliveryMessage(401, 'timestamp_too_old'));
  });

  it('exits 1 for a 404 (wrong path)', async () => {
    const run = await cli(['send', 'shipment.tracked', '--url', `${kit.url!}/webhooks/other`], env);
    expect(run.code).toBe(CLI_EXIT.rejected);
    expect(run.stderr).toContain(rejectedDeliveryMessage(404, undefined));
  });

  it('signs with every listed secret, as Svix does during a rotation', async () => {
    const run = await cli([
      'send',
      'shipment.tracked',
      '--url',
      url,
      '--secret',
      `${generateVisiwiseWebhookSecret()} ${secret}`,
    ]);
    expect(run.code).toBe(CLI_EXIT.ok);
    expect(kit.handlers.tracked).toHaveLength(1);
  });

  it('exits 3 when the answer takes longer than --timeout', async () => {
    kit.handlers.delayMs = 700;
    const run = await cli(['send', 'shipment.tracked', '--url', url, '--timeout', '200'], env);
    expect(run).toEqual({
      code: CLI_EXIT.unreachable,
      stdout: expect.stringMatching(/^POST /) as string,
      stderr: errorLine(timeoutMessage(url, 200)),
    });
    // Let the slow handler finish before the app closes.
    await new Promise((resolve) => setTimeout(resolve, 700));
  });

  it('the built bin (a real process) delivers and exits 0, or 1 when refused', async () => {
    const ok = await spawnBin(
      ['send', 'shipment.tracked', '--url', url, '--id', `msg_bin_${adapter}`],
      env,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('200 OK');
    expect(kit.handlers.tracked.map((e) => e.id)).toEqual([`msg_bin_${adapter}`]);
    const refused = await spawnBin(['send', 'shipment.tracked', '--url', url], {
      VISIWISE_WEBHOOK_SECRET: generateVisiwiseWebhookSecret(),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('HTTP 401 (invalid_signature)');
  });
});

describe.each(ADAPTERS)('visiwise-webhook send --endpoint / --tenant, on %s', (adapter) => {
  const eu = generateVisiwiseWebhookSecret();
  const acme = generateVisiwiseWebhookSecret();
  let kit: KitApp;
  let url: string;

  beforeAll(async () => {
    kit = await createKitApp(adapter, generateVisiwiseWebhookSecret(), {
      listen: true,
      module: {
        endpoints: {
          eu: { secret: eu },
          saas: { tenants: { resolveSecret: (tenant) => (tenant === 'acme' ? acme : undefined) } },
        },
      },
    });
    url = `${kit.url!}${PATH}`;
  });
  afterAll(async () => {
    await kit.app.close();
  });

  it('posts to the named endpoint, and to a tenant of a tenant endpoint', async () => {
    const toEu = await cli(['send', 'shipment.tracked', '--url', url, '--endpoint', 'eu'], {
      VISIWISE_WEBHOOK_SECRET: eu,
    });
    expect(toEu.stdout).toContain(`${url}/eu`);
    expect(toEu.code).toBe(CLI_EXIT.ok);
    const toAcme = await cli(
      ['send', 'shipment.tracked', '--url', url, '--endpoint', 'saas', '--tenant', 'acme'],
      { VISIWISE_WEBHOOK_SECRET: acme },
    );
    expect(toAcme.code).toBe(CLI_EXIT.ok);
    expect(kit.handlers.tracked.map(({ endpoint, tenant }) => ({ endpoint, tenant }))).toEqual([
      { endpoint: 'eu', tenant: undefined },
      { endpoint: 'saas', tenant: 'acme' },
    ]);
    // Without --endpoint the bare path is no endpoint of this app: 404, exit 1.
    const bare = await cli(['send', 'shipment.tracked', '--url', url], {
      VISIWISE_WEBHOOK_SECRET: eu,
    });
    expect(bare.code).toBe(CLI_EXIT.rejected);
    kit.logger.assertNoUnexpected();
  });

  it('refuses an empty --endpoint or --tenant as a usage error', async () => {
    const run = await cli(['send', 'shipment.tracked', '--url', url, '--endpoint', ''], {
      VISIWISE_WEBHOOK_SECRET: eu,
    });
    expect(run.code).toBe(CLI_EXIT.usage);
    expect(run.stderr).toContain('--endpoint and --tenant must not be empty');
  });
});

describe('visiwise-webhook send, without a server', () => {
  it('exits 3 when nothing listens at the URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => {
          resolve(typeof address === 'object' && address ? address.port : 0);
        });
      });
    });
    const url = `http://127.0.0.1:${port}${PATH}`;
    const run = await cli(['send', 'shipment.tracked', '--url', url], {
      VISIWISE_WEBHOOK_SECRET: generateVisiwiseWebhookSecret(),
    });
    expect(run.code).toBe(CLI_EXIT.unreachable);
    expect(run.stderr).toBe(errorLine(unreachableMessage(url, 'ECONNREFUSED')));
  });

  it('never prints credentials of the URL', async () => {
    const run = await cli(
      ['send', 'shipment.tracked', '--url', 'http://user:hunter2@127.0.0.1:9/x'],
      {
        VISIWISE_WEBHOOK_SECRET: generateVisiwiseWebhookSecret(),
      },
    );
    expect(run.code).toBe(CLI_EXIT.unreachable);
    expect(run.stdout + run.stderr).not.toContain('hunter2');
  });
});

describe('the built bin', () => {
  it('is executable, starts with a node shebang, and answers --version and --help', async () => {
    accessSync(BIN, constants.X_OK);
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const version = await spawnBin(['--version'], {});
    const manifest = JSON.parse(
      readFileSync(join(__dirname, '../libs/visiwise-webhook/package.json'), 'utf8'),
    ) as { version: string };
    expect(version).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
    const help = await spawnBin(['verify', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--ignore-timestamp');
    const usage = await spawnBin(['send'], {});
    expect(usage.code).toBe(2);
  });
});
