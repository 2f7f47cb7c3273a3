// `npm run test:consumer`: the test that the README tells the truth. Packs the library, then, in a
// temporary directory OUTSIDE the monorepo, writes two fresh Nest apps from scratch and installs
// the tarball plus their Nest major from the npm registry:
//   - nest11-cjs: NestJS 11, CommonJS, TypeScript compiled with tsc;
//   - nest12-esm: NestJS 12, ES modules ("type": "module"), TypeScript compiled with tsc.
// Each uses the README's quick-start code, starts on a free port, receives an event sent by the
// package's own CLI (`npx visiwise-webhook send ...` from the installed tarball), and its handler
// runs (checked through GET /shipments and its log). A second program per app delivers a fixture
// with `deliverVisiwiseEvent` from nestjs-visiwise-webhook/testing, without supertest installed.
//
// Prints `ok` / `not ok` per check and a last line `consumer: N passed, N failed`; exits 1 on any
// failure. KEEP_CONSUMER_APPS=1 keeps the temporary directory (it is also kept after a failure).
/* global setTimeout, clearTimeout, fetch */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const started = Date.now();
const results = [];

/** Runs a command; resolves { code, stdout, stderr } (never rejects). */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: 240_000, ...options },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

const tail = (text, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');

/** Records one check; `fn` returns nothing (pass) or throws (fail). */
async function check(name, fn) {
  const begin = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${Date.now() - begin} ms)`);
    return true;
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name} (${Date.now() - begin} ms)`);
    console.log(
      String(error instanceof Error ? error.message : error)
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n'),
    );
    return false;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/* ------------------------------------------------------------------------------------------ */
/* The apps: the README's quick start, a controller to observe the handler, and a helper check */
/* ------------------------------------------------------------------------------------------ */

const sources = {
  // README quick start: app.module.ts
  'src/app.module.ts': `import { Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { VisiwiseWebhookModule } from 'nestjs-visiwise-webhook';
import { ShipmentsController } from './shipments.controller.js';
import { ShipmentsService } from './shipments.service.js';

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    VisiwiseWebhookModule.forRoot({ secret: process.env.VISIWISE_WEBHOOK_SECRET }),
  ],
  controllers: [ShipmentsController],
  providers: [ShipmentsService],
})
export class AppModule {}
`,
  // README quick start: "any provider"
  'src/shipments.service.ts': `import { Injectable } from '@nestjs/common';
import { OnVisiwiseEvent, VisiwiseEvent, toShipmentSummary } from 'nestjs-visiwise-webhook';

export interface Received {
  id: string;
  trackingReference: string;
  status: string;
  eta: string | null;
}

@Injectable()
export class ShipmentsService {
  readonly received: Received[] = [];

  @OnVisiwiseEvent('shipment.tracked')
  async onTracked(event: VisiwiseEvent<'shipment.tracked'>): Promise<void> {
    const summary = toShipmentSummary(event.data);
    this.received.push({
      id: event.id,
      trackingReference: event.data.trackingReference,
      status: summary.status,
      eta: summary.arrival.eta,
    });
    console.log(\`HANDLED \${event.id} \${event.data.trackingReference}\`);
  }
}
`,
  'src/shipments.controller.ts': `import { Controller, Get } from '@nestjs/common';
import { Received, ShipmentsService } from './shipments.service.js';

@Controller('shipments')
export class ShipmentsController {
  constructor(private readonly shipments: ShipmentsService) {}

  @Get()
  list(): Received[] {
    return this.shipments.received;
  }
}
`,
  // README quick start: main.ts (rawBody: true), on a free port.
  'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { rawBody: true });
  await app.listen(0, '127.0.0.1');
  console.log(\`READY \${await app.getUrl()}\`);
}
void bootstrap();
`,
  // The one-line test helper, in a project without supertest.
  'src/delivery-check.ts': `import { NestFactory } from '@nestjs/core';
import { buildShipmentTrackedBillOfLading, deliverVisiwiseEvent } from 'nestjs-visiwise-webhook/testing';
import { AppModule } from './app.module.js';
import { ShipmentsService } from './shipments.service.js';

async function check(): Promise<void> {
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: false });
  await app.init();
  const response = await deliverVisiwiseEvent(app, {
    secret: process.env.VISIWISE_WEBHOOK_SECRET ?? '',
    event: buildShipmentTrackedBillOfLading(),
  });
  const received = app.get(ShipmentsService).received;
  await app.close();
  console.log(JSON.stringify({ status: response.status, body: response.body, id: response.id, received }));
}
void check();
`,
};

// ES-module app only: the package's require('@nestjs/common') (require(esm)) and the app's import
// must yield the same module instance, or Nest's decorators and tokens would be duplicated.
const esmOnlySources = {
  'src/instance-check.ts': `import { createRequire } from 'node:module';
import * as common from '@nestjs/common';
import * as emitter from '@nestjs/event-emitter';

const requireFromPackage = createRequire(import.meta.resolve('nestjs-visiwise-webhook'));
const viaPackage = requireFromPackage('@nestjs/common') as typeof common;
const emitterViaPackage = requireFromPackage('@nestjs/event-emitter') as typeof emitter;
console.log(
  JSON.stringify({
    common: viaPackage.Injectable === common.Injectable,
    emitter: emitterViaPackage.OnEvent === emitter.OnEvent,
  }),
);
`,
};

const tsconfig = (module) => ({
  compilerOptions: {
    // As \`nest new\` sets them (Nest 11), strict on top.
    module,
    moduleResolution: module,
    target: 'ES2023',
    declaration: false,
    emitDecoratorMetadata: true,
    experimentalDecorators: true,
    strict: true,
    skipLibCheck: true,
    outDir: './dist',
    rootDir: './src',
    types: ['node'],
  },
  include: ['src/**/*.ts'],
});

const APPS = [
  {
    name: 'nest11-cjs',
    type: 'commonjs',
    nest: {
      '@nestjs/common': '^11.0.0',
      '@nestjs/core': '^11.0.0',
      '@nestjs/platform-express': '^11.0.0',
      '@nestjs/event-emitter': '^3.0.0',
    },
  },
  {
    name: 'nest12-esm',
    type: 'module',
    nest: {
      '@nestjs/common': '^12.0.0',
      '@nestjs/core': '^12.0.0',
      '@nestjs/platform-express': '^12.0.0',
      '@nestjs/event-emitter': '^12.0.0',
    },
  },
];

function writeApp(dir, app, tarball) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest = {
    name: `consumer-${app.name}`,
    version: '0.0.0',
    private: true,
    type: app.type,
    dependencies: {
      'nestjs-visiwise-webhook': `file:${tarball}`,
      ...app.nest,
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.1',
    },
    devDependencies: { typescript: '5.9.3', '@types/node': '^20.19.0' },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig('nodenext'), null, 2)}\n`);
  for (const [path, text] of Object.entries({
    ...sources,
    ...(app.type === 'module' ? esmOnlySources : {}),
  })) {
    writeFileSync(join(dir, path), text);
  }
}

/** Starts the app; resolves its base URL once it prints READY, with the process and its output. */
function startApp(dir, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no READY line within 30 s:\n${tail(output.text)}`));
    }, 30_000);
    const onData = (chunk) => {
      output.text += chunk;
      const ready = /READY (\S+)/.exec(output.text);
      if (ready) {
        clearTimeout(timer);
        resolve({ child, output, url: ready[1].replace('[::1]', '127.0.0.1') });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} before it was ready:\n${tail(output.text)}`));
    });
  });
}

function stopApp(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function testApp(app, base, tarball) {
  const dir = join(base, app.name);
  const label = (step) => `${app.name}: ${step}`;
  writeApp(dir, app, tarball);

  const installed = await check(
    label('npm install (tarball + Nest from the registry)'),
    async () => {
      const result = await run(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: dir,
      });
      assert(result.code === 0, `npm install failed (${result.code}):\n${tail(result.stderr)}`);
      assert(
        !existsSync(join(dir, 'node_modules/supertest')),
        'supertest got installed: the package must not need it',
      );
    },
  );
  if (!installed) return;

  const compiled = await check(
    label('tsc compiles the README code against the package types'),
    async () => {
      const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], {
        cwd: dir,
      });
      assert(result.code === 0, `tsc failed:\n${tail(result.stdout + result.stderr, 30)}`);
    },
  );
  if (!compiled) return;

  let secret = '';
  await check(label('npx visiwise-webhook secret generate'), async () => {
    const result = await run(npx, ['--no', 'visiwise-webhook', 'secret', 'generate'], { cwd: dir });
    assert(result.code === 0, `exit ${result.code}: ${result.stderr}`);
    secret = result.stdout.trim();
    assert(/^whsec_[A-Za-z0-9+/=]+$/.test(secret), `not a secret: ${secret.slice(0, 12)}...`);
  });
  if (secret === '') return;

  let started;
  const booted = await check(label('the app starts on a free port'), async () => {
    started = await startApp(dir, { VISIWISE_WEBHOOK_SECRET: secret });
  });
  if (!booted) return;
  const env = { ...process.env, VISIWISE_WEBHOOK_SECRET: secret };
  const webhookUrl = `${started.url}/webhooks/visiwise`;
  const id = `msg_consumer_${app.name.replace(/-/g, '_')}`;
  try {
    await check(label('npx visiwise-webhook send delivers; the handler runs'), async () => {
      const result = await run(
        npx,
        ['--no', 'visiwise-webhook', 'send', 'shipment.tracked', '--url', webhookUrl, '--id', id],
        { cwd: dir, env },
      );
      assert(result.code === 0, `exit ${result.code}:\n${result.stdout}${result.stderr}`);
      assert(/\n200 OK in /.test(result.stdout), `no 200 in the output:\n${result.stdout}`);
      assert(!(result.stdout + result.stderr).includes(secret), 'the CLI printed the secret');
      const response = await fetch(`${started.url}/shipments`);
      const listed = await response.json();
      assert(
        listed.length === 1 &&
          listed[0].id === id &&
          listed[0].trackingReference === 'MSCU1234566' &&
          listed[0].status === 'succeeded' &&
          listed[0].eta === '2025-10-21T14:00:00Z',
        `GET /shipments: ${JSON.stringify(listed)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert(
        started.output.text.includes(`HANDLED ${id} MSCU1234566`),
        `no handler log line:\n${tail(started.output.text)}`,
      );
    });

    await check(
      label('a delivery signed with another secret is refused (exit 1, 401)'),
      async () => {
        const other = await run(npx, ['--no', 'visiwise-webhook', 'secret', 'generate'], {
          cwd: dir,
        });
        const result = await run(
          npx,
          ['--no', 'visiwise-webhook', 'send', 'shipment.tracked', '--url', webhookUrl],
          { cwd: dir, env: { ...process.env, VISIWISE_WEBHOOK_SECRET: other.stdout.trim() } },
        );
        assert(
          result.code === 1,
          `exit ${result.code}, expected 1:\n${result.stdout}${result.stderr}`,
        );
        assert(result.stderr.includes('HTTP 401 (invalid_signature)'), result.stderr);
        const listed = await (await fetch(`${started.url}/shipments`)).json();
        assert(
          listed.length === 1,
          `the handler ran for a forged delivery: ${JSON.stringify(listed)}`,
        );
      },
    );
  } finally {
    await stopApp(started.child);
  }

  if (app.type === 'module') {
    await check(label('the package and the app share one @nestjs/common instance'), async () => {
      const result = await run(process.execPath, ['dist/instance-check.js'], { cwd: dir });
      assert(result.code === 0, `exit ${result.code}:\n${tail(result.stdout + result.stderr)}`);
      const same = JSON.parse(result.stdout.trim());
      assert(same.common && same.emitter, `two instances: ${JSON.stringify(same)}`);
    });
  }

  await check(
    label('deliverVisiwiseEvent (nestjs-visiwise-webhook/testing) without supertest'),
    async () => {
      const result = await run(process.execPath, ['dist/delivery-check.js'], {
        cwd: dir,
        env: { ...process.env, VISIWISE_WEBHOOK_SECRET: secret },
        timeout: 60_000,
      });
      assert(result.code === 0, `exit ${result.code}:\n${tail(result.stdout + result.stderr)}`);
      const outcome = JSON.parse(result.stdout.trim().split('\n').pop());
      assert(
        outcome.status === 200 &&
          outcome.body?.status === 'received' &&
          outcome.received.length === 1 &&
          outcome.received[0].id === outcome.id &&
          outcome.received[0].trackingReference === 'HLCUNB2506183021',
        `unexpected outcome: ${JSON.stringify(outcome)}`,
      );
    },
  );
}

/* ------------------------------------------------------------------------------------------ */

let base;
let tarball;
const packed = await check('npm run pack writes one tarball', async () => {
  const result = await run(process.execPath, [join(root, 'scripts/pack-lib.mjs')], { cwd: root });
  assert(result.code === 0, `pack failed:\n${tail(result.stdout + result.stderr)}`);
  tarball = result.stdout.trim().split('\n').pop();
  assert(tarball.endsWith('.tgz') && existsSync(tarball), `no tarball: ${tarball}`);
});

if (packed) {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'visiwise-consumer-')));
  if (base.startsWith(`${realpathSync(root)}/`)) {
    throw new Error(`the temporary directory ${base} is inside the monorepo`);
  }
  console.log(`# apps in ${base}`);
  // Both apps at once: installs wait on the network more than on the 2 CPUs.
  await Promise.all(APPS.map((app) => testApp(app, base, tarball)));
}

const passed = results.filter((result) => result.ok).length;
const failed = results.length - passed;
if (base && failed === 0 && process.env.KEEP_CONSUMER_APPS !== '1') {
  rmSync(base, { recursive: true, force: true });
} else if (base) {
  console.log(`# kept ${base}`);
}
console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`consumer: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
