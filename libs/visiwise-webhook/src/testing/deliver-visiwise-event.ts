import type { IncomingHttpHeaders } from 'node:http';
import { Server } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { DEFAULT_WEBHOOK_PATH } from '../visiwise-webhook.constants';
import { httpPost, HttpPostTarget } from './http-post';
import { serializeVisiwisePayload, signVisiwiseWebhook } from './sign-visiwise-webhook';
import { noHttpServerMessage, unsupportedServerAddressMessage } from './testing.messages';

/** Input of {@link deliverVisiwiseEvent}. */
export interface DeliverVisiwiseEventInput {
  /** The secret the app under test is configured with (`whsec_...`). */
  secret: string;
  /**
   * What to deliver: an envelope from a fixture builder (`buildShipmentTracked()`), any object
   * (sent as `JSON.stringify(event)`), or an exact body as a string or Buffer.
   */
  event: unknown;
  /** The `svix-id`. Deliver twice with the same id to test retries. @default a random `msg_...` id */
  id?: string;
  /** The signing time, as a Date or Unix seconds. @default now */
  timestamp?: Date | number;
  /** Route of the webhook endpoint, including any global prefix. @default '/webhooks/visiwise' */
  path?: string;
  /** Extra request headers; they override the signed and content-type headers of the same name. */
  headers?: Readonly<Record<string, string>>;
}

/** The endpoint's answer to {@link deliverVisiwiseEvent}. */
export interface VisiwiseDeliveryResponse {
  /** HTTP status, e.g. 200. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The response body as text. */
  readonly text: string;
  /** The response body parsed as JSON when it is JSON, otherwise the text. */
  readonly body: unknown;
  /** The `svix-id` the delivery was signed with (the `id` of the event handlers received). */
  readonly id: string;
}

/** The part of a Nest application the helper uses (any `INestApplication` fits). */
export type VisiwiseDeliveryTarget = Pick<INestApplication, 'getHttpServer' | 'getHttpAdapter'>;

/** Servers this helper made listen, with how many deliveries are using each. */
const leases = new WeakMap<Server, { users: number; ready: Promise<void> }>();

/**
 * Signs an event and POSTs it to the webhook endpoint of a Nest test application, in one line:
 *
 * ```ts
 * const response = await deliverVisiwiseEvent(app, { secret, event: buildShipmentTracked() });
 * expect(response.status).toBe(200);
 * ```
 *
 * Works on Express and Fastify, with an app that is only initialised (`await app.init()`) or already
 * listening. A real HTTP request goes through the real guard, so the signature, raw-body and status
 * handling are exercised exactly as in production.
 *
 * Why `node:http` and not supertest or fetch: supertest is a development dependency that an
 * application may not have, and this helper ships in the package, so it must need nothing beyond
 * Node. Like supertest, it makes an initialised but not listening server listen on an ephemeral
 * loopback port for the duration of the request and closes it afterwards (shared safely between
 * concurrent deliveries); `fetch` against `app.getUrl()` would instead require `app.listen()`, and
 * its pooled keep-alive connection would hold up `app.close()`. The request uses a fresh
 * connection, so closing the app never waits for an idle one.
 */
export async function deliverVisiwiseEvent(
  app: VisiwiseDeliveryTarget,
  input: DeliverVisiwiseEventInput,
): Promise<VisiwiseDeliveryResponse> {
  const server: unknown = app.getHttpServer();
  if (!(server instanceof Server)) {
    throw new TypeError(noHttpServerMessage());
  }
  await platformReady(app);
  const body = serializeVisiwisePayload(input.event);
  const signed = signVisiwiseWebhook({
    secret: input.secret,
    payload: body,
    ...(input.id === undefined ? {} : { id: input.id }),
    ...(input.timestamp === undefined ? {} : { timestamp: input.timestamp }),
  });
  const release = await listenIfNeeded(server);
  try {
    const response = await httpPost(
      targetOf(server, input.path ?? `/${DEFAULT_WEBHOOK_PATH}`),
      { 'content-type': 'application/json', ...signed, ...input.headers },
      body,
    );
    return {
      status: response.status,
      headers: response.headers,
      text: response.text,
      body: parseBody(response.text, response.headers['content-type']),
      id: signed['svix-id'],
    };
  } finally {
    await release();
  }
}

/** Fastify answers only once its plugins are ready (Nest's `init()` does not wait for that). */
async function platformReady(app: VisiwiseDeliveryTarget): Promise<void> {
  const instance: unknown = app.getHttpAdapter().getInstance();
  if (typeof instance === 'object' && instance !== null && 'ready' in instance) {
    const { ready } = instance;
    if (typeof ready === 'function') {
      await (ready as () => Promise<unknown>).call(instance);
    }
  }
}

async function listenIfNeeded(server: Server): Promise<() => Promise<void>> {
  let lease = leases.get(server);
  if (!lease) {
    if (server.listening) {
      return () => Promise.resolve();
    }
    const ready = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    lease = { users: 0, ready };
    leases.set(server, lease);
  }
  const held = lease;
  held.users += 1;
  await held.ready;
  return async () => {
    held.users -= 1;
    if (held.users === 0) {
      leases.delete(server);
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  };
}

function targetOf(server: Server, path: string): HttpPostTarget {
  const address = server.address();
  if (typeof address === 'string') {
    return { socketPath: address, path };
  }
  if (!address) {
    throw new Error(unsupportedServerAddressMessage());
  }
  // An app listening on every interface is reached through the loopback of the same family.
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '::1'
        : address.address;
  return { host, port: address.port, path };
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (contentType === undefined || !/\bjson\b/i.test(contentType)) {
    return text;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
