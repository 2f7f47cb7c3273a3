import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  invalidTimestampMessage,
  missingHeadersMessage,
  noSignatureMatchedMessage,
  secretNotBase64Message,
  timestampTooNewMessage,
  timestampTooOldMessage,
} from '../signature/signature.messages';
import { VisiwiseWebhookVerifier } from '../signature/visiwise-webhook-verifier';
import { buildShipmentTracked } from '../testing/shipment-tracked.fixtures';
import {
  generateVisiwiseWebhookSecret,
  signVisiwiseWebhook,
} from '../testing/sign-visiwise-webhook';
import { runVisiwiseWebhookCli } from './cli';
import { CLI_EXIT } from './cli.constants';
import {
  errorLine,
  headersFoundHint,
  hintLine,
  invalidEventTypeArgumentMessage,
  invalidJsonFileMessage,
  invalidUrlMessage,
  missingSecretMessage,
  noSampleMessage,
  notAnObjectFileMessage,
  headersFileExpectation,
  notVerifiedMessage,
  sampleWithDataMessage,
  signatureCountHint,
  staleCaptureHint,
  trailingNewlineHint,
  unknownSampleMessage,
  unreadableFileMessage,
  unusableSecretMessage,
  verifiedLine,
} from './cli.messages';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'visiwise-cli-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runVisiwiseWebhookCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    cwd: workDir,
  });
  return { code, stdout, stderr };
}

function file(name: string, content: string | Buffer): string {
  writeFileSync(join(workDir, name), content);
  return name;
}

const SECRET = generateVisiwiseWebhookSecret();
const BODY = JSON.stringify(buildShipmentTracked());

/** A captured delivery: headers.json and body files, as copied from a delivery log. */
function capture(
  name: string,
  options: { secret?: string; timestamp?: number; body?: string | Buffer; signed?: string } = {},
): { headers: string; body: string; id: string; timestamp: number } {
  const signed = options.signed ?? BODY;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = signVisiwiseWebhook({
    secret: options.secret ?? SECRET,
    payload: signed,
    id: `msg_${name}`,
    timestamp,
  });
  return {
    headers: file(`${name}.headers.json`, JSON.stringify(headers)),
    body: file(`${name}.body`, options.body ?? signed),
    id: `msg_${name}`,
    timestamp,
  };
}

describe('visiwise-webhook CLI (in-process)', () => {
  describe('help and version', () => {
    it.each([
      [[], 'Usage: visiwise-webhook [options] [command]'],
      [['send'], 'Usage: visiwise-webhook send [options] <event-type>'],
      [['secret'], 'Usage: visiwise-webhook secret [options] [command]'],
      [['secret', 'generate'], 'Usage: visiwise-webhook secret generate [options]'],
      [['verify'], 'Usage: visiwise-webhook verify [options]'],
      [['inbox', 'migrate'], 'Usage: visiwise-webhook inbox migrate [options]'],
    ])('%j --help prints usage and exits 0', async (command, usage) => {
      const run = await cli([...command, '--help']);
      expect(run).toMatchObject({ code: CLI_EXIT.ok, stderr: '' });
      expect(run.stdout).toContain(usage);
    });

    it('documents every option of send and verify, and the exit codes', async () => {
      const send = (await cli(['send', '--help'])).stdout;
      for (const option of ['--url', '--secret', '--data', '--sample', '--id', '--timestamp']) {
        expect(send).toContain(option);
      }
      expect(send).toContain('VISIWISE_WEBHOOK_SECRET');
      const verify = (await cli(['verify', '--help'])).stdout;
      for (const option of ['--headers', '--body', '--secret', '--ignore-timestamp']) {
        expect(verify).toContain(option);
      }
      expect((await cli(['--help'])).stdout).toContain('Exit codes: 0 success');
    });

    it('never prints the secret from the environment in help', async () => {
      const run = await cli(['send', '--help'], { VISIWISE_WEBHOOK_SECRET: SECRET });
      expect(run.stdout).not.toContain(SECRET.slice(6));
    });

    it('prints the package version', async () => {
      const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
        version: string;
      };
      expect(await cli(['--version'])).toEqual({
        code: 0,
        stdout: `${manifest.version}\n`,
        stderr: '',
      });
    });
  });

  describe('usage errors exit 2', () => {
    it('for an unknown command or option, or a missing argument', async () => {
      expect((await cli(['sned'])).code).toBe(CLI_EXIT.usage);
      const unknown = await cli(['send', 'shipment.tracked', '--secrt', 'x']);
      expect(unknown.code).toBe(CLI_EXIT.usage);
      expect(unknown.stderr).toContain("unknown option '--secrt'");
      expect((await cli(['send'])).stderr).toContain("missing required argument 'event-type'");
      expect((await cli(['secret'])).code).toBe(CLI_EXIT.usage);
      expect((await cli(['verify', '--body', 'x'])).stderr).toContain(
        "required option '--headers <file>' not specified",
      );
    });

    it('for a missing secret', async () => {
      expect(await cli(['send', 'shipment.tracked'])).toEqual({
        code: CLI_EXIT.usage,
        stdout: '',
        stderr: errorLine(missingSecretMessage()),
      });
    });

    it('for an unusable secret, naming the problem and never the secret', async () => {
      const bad = 'whsec_n0t*base64*at-all';
      const run = await cli(['send', 'shipment.tracked', '--secret', bad]);
      expect(run).toEqual({
        code: CLI_EXIT.usage,
        stdout: '',
        stderr: errorLine(unusableSecretMessage(secretNotBase64Message(0, 1))),
      });
    });

    it.each([
      [['send', 'shipment tracked'], invalidEventTypeArgumentMessage()],
      [
        ['send', 'shipment.created'],
        noSampleMessage('shipment.created', [
          'shipment.tracked',
          'shipment.tracking_failed',
          'shipment.arrival_time_changed',
          'shipment.container_movement',
        ]),
      ],
      [
        ['send', 'shipment.tracked', '--sample', 'ship'],
        unknownSampleMessage('shipment.tracked', 'ship', [
          'container',
          'bill-of-lading',
          'booking',
          'failed',
        ]),
      ],
      [['send', 'shipment.tracked', '--url', 'ftp://example.com/x'], invalidUrlMessage()],
      [['send', 'shipment.tracked', '--url', 'localhost:3000'], invalidUrlMessage()],
      [
        ['send', 'shipment.tracked', '--data', 'missing.json'],
        unreadableFileMessage('data', 'missing.json', 'ENOENT'),
      ],
      [
        ['send', 'shipment.tracked', '--data', 'd.json', '--sample', 'booking'],
        sampleWithDataMessage(),
      ],
    ])('for %j', async (args, message) => {
      file('d.json', '{}');
      expect(await cli(args, { VISIWISE_WEBHOOK_SECRET: SECRET })).toEqual({
        code: CLI_EXIT.usage,
        stdout: '',
        stderr: errorLine(message),
      });
    });

    it('for a data file that is not a JSON object', async () => {
      file('not-json.json', '{"type": ');
      file('array.json', '[1, 2]');
      const env = { VISIWISE_WEBHOOK_SECRET: SECRET };
      expect((await cli(['send', 'x.y', '--data', 'not-json.json'], env)).stderr).toBe(
        errorLine(invalidJsonFileMessage('data', 'not-json.json')),
      );
      expect((await cli(['send', 'x.y', '--data', 'array.json'], env)).stderr).toBe(
        errorLine(notAnObjectFileMessage('data', 'array.json', "a JSON object (the event's data)")),
      );
    });

    it('for a malformed --timestamp or --timeout', async () => {
      const run = await cli(['send', 'shipment.tracked', '--timestamp', '2025-01-01']);
      expect(run.code).toBe(CLI_EXIT.usage);
      expect(run.stderr).toContain(
        "option '--timestamp <seconds>' argument '2025-01-01' is invalid",
      );
      expect((await cli(['send', 'shipment.tracked', '--timeout', '0'])).code).toBe(CLI_EXIT.usage);
    });

    it('never echoes a secret typed into another argument', async () => {
      const run = await cli(['send', 'shipment.tracked', '--sample', SECRET], {
        VISIWISE_WEBHOOK_SECRET: SECRET,
      });
      expect(run.code).toBe(CLI_EXIT.usage);
      expect(
        (await cli(['send', SECRET], { VISIWISE_WEBHOOK_SECRET: SECRET })).stderr,
      ).not.toContain(SECRET.slice(6));
      const other = generateVisiwiseWebhookSecret();
      // Not a known secret (neither --secret nor the environment): redacted by its shape.
      const typo = await cli(['send', 'shipment.tracked', '--sample', other, '--secret', SECRET]);
      expect(typo.stderr).toContain('whsec_[redacted]');
      for (const output of [run.stdout, run.stderr, typo.stdout, typo.stderr]) {
        expect(output).not.toContain(SECRET.slice(6));
        expect(output).not.toContain(other.slice(6));
      }
      expect(run.stderr).toContain('[redacted]');
    });
  });

  describe('secret generate', () => {
    it('prints one fresh whsec_ secret the verifier accepts, and exits 0', async () => {
      const first = await cli(['secret', 'generate']);
      const second = await cli(['secret', 'generate']);
      expect(first.code).toBe(CLI_EXIT.ok);
      expect(first.stderr).toBe('');
      expect(first.stdout).toMatch(/^whsec_[A-Za-z0-9+/]{32}\n$/);
      expect(first.stdout).not.toBe(second.stdout);
      const secret = first.stdout.trim();
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
      expect(new VisiwiseWebhookVerifier({ secrets: secret }).secretCount).toBe(1);
    });
  });

  describe('verify', () => {
    const env = { VISIWISE_WEBHOOK_SECRET: SECRET };

    it('accepts a fresh, authentic capture (secret from the environment)', async () => {
      const c = capture('ok');
      expect(await cli(['verify', '--headers', c.headers, '--body', c.body], env)).toEqual({
        code: CLI_EXIT.ok,
        stdout: verifiedLine(c.id, new Date(c.timestamp * 1000).toISOString(), true),
        stderr: '',
      });
    });

    it('accepts webhook-* and capitalised names, numeric timestamps, and rotation secrets', async () => {
      const c = capture('variants');
      const headers = JSON.parse(readFileSync(join(workDir, c.headers), 'utf8')) as Record<
        string,
        string
      >;
      file(
        'variants.headers.json',
        JSON.stringify({
          'Webhook-Id': headers['svix-id'],
          'webhook-timestamp': Number(headers['svix-timestamp']),
          'WEBHOOK-SIGNATURE': [headers['svix-signature']],
          'content-type': 'application/json',
        }),
      );
      const secrets = `${generateVisiwiseWebhookSecret()}, ${SECRET}`;
      const run = await cli([
        'verify',
        '--headers',
        c.headers,
        '--body',
        c.body,
        '--secret',
        secrets,
      ]);
      expect(run.code).toBe(CLI_EXIT.ok);
      expect(run.stdout).toContain(`verified: svix-id ${c.id}`);
    });

    it('refuses a stale capture with the reason, the header and a hint; --ignore-timestamp checks the signature alone', async () => {
      const timestamp = Math.floor(Date.now() / 1000) - 3600;
      const c = capture('stale', { timestamp });
      const args = ['verify', '--headers', c.headers, '--body', c.body];
      const run = await cli(args, env);
      expect(run.code).toBe(CLI_EXIT.rejected);
      expect(run.stdout).toBe('');
      const [first, second] = run.stderr.split('\n');
      expect(`${first}\n`).toBe(
        errorLine(notVerifiedMessage('timestamp_too_old', timestampTooOldMessage(300))),
      );
      expect(first).toContain('svix-timestamp');
      const signedAt = new Date(timestamp * 1000).toISOString();
      // The age is measured when the CLI runs: the same second or the next.
      expect([3600, 3601].map((age) => hintLine(staleCaptureHint(signedAt, age)))).toContain(
        `${second}\n`,
      );

      expect(await cli([...args, '--ignore-timestamp'], env)).toEqual({
        code: CLI_EXIT.ok,
        stdout: verifiedLine(c.id, new Date(timestamp * 1000).toISOString(), false),
        stderr: '',
      });
      expect((await cli([...args, '--tolerance', '7200'], env)).code).toBe(CLI_EXIT.ok);
    });

    it('refuses a capture from the future', async () => {
      const timestamp = Math.floor(Date.now() / 1000) + 1000;
      const c = capture('future', { timestamp });
      const run = await cli(['verify', '--headers', c.headers, '--body', c.body], env);
      expect(run.code).toBe(CLI_EXIT.rejected);
      expect(run.stderr).toContain(
        notVerifiedMessage('timestamp_too_new', timestampTooNewMessage(300)),
      );
      expect(run.stderr).toContain('after this computer');
    });

    it('refuses a tampered body or the wrong secret as invalid_signature, with the signature count', async () => {
      const tampered = capture('tampered', { body: BODY.replace('MSCU1234566', 'MSCU1234567') });
      const run = await cli(
        ['verify', '--headers', tampered.headers, '--body', tampered.body],
        env,
      );
      expect(run).toEqual({
        code: CLI_EXIT.rejected,
        stdout: '',
        stderr:
          errorLine(notVerifiedMessage('invalid_signature', noSignatureMatchedMessage())) +
          hintLine(signatureCountHint('svix-signature', 1, 1)),
      });
      const foreign = capture('foreign', { secret: generateVisiwiseWebhookSecret() });
      const wrong = await cli(
        ['verify', '--headers', foreign.headers, '--body', foreign.body],
        env,
      );
      expect(wrong.code).toBe(CLI_EXIT.rejected);
      expect(wrong.stderr).toContain('not verified (invalid_signature)');
    });

    it('spots a trailing newline added to the body file', async () => {
      for (const ending of ['\n', '\r\n']) {
        const c = capture(`newline${ending.length}`, { body: `${BODY}${ending}` });
        const run = await cli(['verify', '--headers', c.headers, '--body', c.body], env);
        expect(run.code).toBe(CLI_EXIT.rejected);
        expect(run.stderr).toContain(hintLine(trailingNewlineHint()));
      }
    });

    it('names a missing header and lists the headers it found', async () => {
      const c = capture('missing');
      const headers = JSON.parse(readFileSync(join(workDir, c.headers), 'utf8')) as Record<
        string,
        string
      >;
      file(
        'missing.headers.json',
        JSON.stringify({
          'svix-id': headers['svix-id'],
          'svix-timestamp': headers['svix-timestamp'],
        }),
      );
      const run = await cli(['verify', '--headers', c.headers, '--body', c.body], env);
      expect(run).toEqual({
        code: CLI_EXIT.rejected,
        stdout: '',
        stderr:
          errorLine(
            notVerifiedMessage('missing_headers', missingHeadersMessage(['svix-signature'])),
          ) + hintLine(headersFoundHint(['svix-id', 'svix-timestamp'])),
      });
    });

    it('refuses a malformed timestamp', async () => {
      const c = capture('badts');
      const headers = JSON.parse(readFileSync(join(workDir, c.headers), 'utf8')) as Record<
        string,
        string
      >;
      file('badts.headers.json', JSON.stringify({ ...headers, 'svix-timestamp': '123abc' }));
      const run = await cli(
        ['verify', '--headers', c.headers, '--body', c.body, '--ignore-timestamp'],
        env,
      );
      expect(run.code).toBe(CLI_EXIT.rejected);
      expect(run.stderr).toBe(
        errorLine(notVerifiedMessage('invalid_timestamp', invalidTimestampMessage())),
      );
    });

    it('exits 2 for unreadable or malformed input files', async () => {
      const c = capture('inputs');
      file('list.json', '["svix-id"]');
      file('nested.json', '{"svix-id": {"value": "msg"}}');
      file('broken.json', '{');
      const run = (headers: string, body = c.body) =>
        cli(['verify', '--headers', headers, '--body', body], env);
      expect((await run('list.json')).stderr).toBe(
        errorLine(notAnObjectFileMessage('headers', 'list.json', headersFileExpectation())),
      );
      expect((await run('nested.json')).code).toBe(CLI_EXIT.usage);
      expect((await run('broken.json')).stderr).toBe(
        errorLine(invalidJsonFileMessage('headers', 'broken.json')),
      );
      expect((await run(c.headers, 'nope.body')).stderr).toBe(
        errorLine(unreadableFileMessage('body', 'nope.body', 'ENOENT')),
      );
    });

    it('never prints the secret, whatever the outcome', async () => {
      const outputs: string[] = [];
      for (const c of [capture('s1'), capture('s2', { body: 'x' })]) {
        const run = await cli([
          'verify',
          '--headers',
          c.headers,
          '--body',
          c.body,
          '--secret',
          SECRET,
        ]);
        outputs.push(run.stdout, run.stderr);
      }
      expect(outputs.join('')).not.toContain(SECRET.slice(6));
    });
  });
});
