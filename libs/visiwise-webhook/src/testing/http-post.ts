import { request as httpRequest, IncomingHttpHeaders, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

/*
 * One POST over a fresh connection (no keep-alive agent), used by deliverVisiwiseEvent() and the
 * CLI's `send`. Internal. Why not fetch: a pooled keep-alive connection outlives the request, so a
 * server in the same process (a test app) cannot close until the pool lets go, and fetch refuses
 * URLs with credentials instead of sending them as Basic auth the way Svix does.
 */

/** Where to POST: a host and port, or a Unix socket, plus the request path. */
export type HttpPostTarget = (
  { readonly host: string; readonly port: number } | { readonly socketPath: string }
) & { readonly path: string; readonly secure?: boolean };

/** The answer to {@link httpPost}. */
export interface HttpPostResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Rejection of {@link httpPost} when no complete answer arrived within the timeout. */
export class HttpPostTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HttpPostTimeoutError';
  }
}

/** The target, headers and auth of an absolute http(s) URL; its credentials become Basic auth. */
export function targetOfUrl(url: URL): { target: HttpPostTarget; authorization?: string } {
  const secure = url.protocol === 'https:';
  const target: HttpPostTarget = {
    // URL keeps the brackets of an IPv6 literal; the socket API wants the bare address.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    secure,
  };
  if (url.username === '' && url.password === '') {
    return { target };
  }
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { target, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** POSTs `body` once and resolves with the full answer; rejects on a socket error or the timeout. */
export function httpPost(
  target: HttpPostTarget,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer,
  timeoutMs?: number,
): Promise<HttpPostResponse> {
  return new Promise((resolve, reject) => {
    const { secure, ...destination } = target;
    const options: RequestOptions = {
      ...destination,
      method: 'POST',
      headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      agent: false,
    };
    const request = (secure === true ? httpsRequest : httpRequest)(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            request.destroy(new HttpPostTimeoutError(timeoutMs));
          }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
