import type { AbstractHttpAdapter } from '@nestjs/core';
import type { Readable } from 'node:stream';
import { MAX_FORM_BYTES } from './replay-form';

/*
 * Nest's Fastify adapter registers a parser for URL-encoded forms by default, but not when the
 * app registers its own body parser first (`app.useBodyParser(...)` marks Nest's parsers as
 * registered) or turns them off; Fastify then answers 415 to the replay form before any route
 * code runs, and has no per-route parser. So, only when no such parser exists, one is added that
 * reads the form for the page's replay route alone and answers every other route exactly as
 * Fastify did without a parser: 415 `FST_ERR_CTP_INVALID_MEDIA_TYPE` (and 404s still reach the
 * not-found handler). An app that has a form parser keeps it, for every route.
 */

const FORM_TYPE = 'application/x-www-form-urlencoded';

interface FastifyRequestLike {
  readonly is404?: boolean;
  readonly routeOptions?: { readonly url?: string };
}

type ParserDone = (error: Error | null, body?: unknown) => void;

interface FastifyInstanceLike {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(
    type: string,
    parser: (request: FastifyRequestLike, payload: Readable, done: ParserDone) => void,
  ): void;
}

/** The error Fastify sends for a content type it has no parser for (same code, status, text). */
function unsupportedMediaType(): Error {
  return Object.assign(new Error('Unsupported Media Type'), {
    name: 'FastifyError',
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    statusCode: 415,
  });
}

function tooLarge(): Error {
  return Object.assign(new Error('Request body is too large'), {
    name: 'FastifyError',
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    statusCode: 413,
  });
}

const withoutTrailingSlash = (path: string): string =>
  path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;

/**
 * Makes sure the page's replay route (`routePath`, global prefix included) can read its
 * URL-encoded form on Fastify; a no-op on other platforms and when a form parser exists. Call it
 * after Nest registered its body parsers (a module's `configure()` runs then).
 */
export function parseFormsOnFastify(adapter: AbstractHttpAdapter, routePath: string): void {
  if (adapter.getType() !== 'fastify') {
    return;
  }
  const app = adapter.getInstance<FastifyInstanceLike>();
  if (app.hasContentTypeParser(FORM_TYPE)) {
    return;
  }
  const route = withoutTrailingSlash(routePath);
  app.addContentTypeParser(FORM_TYPE, (request, payload, done) => {
    if (request.is404 === true) {
      done(null, undefined);
      return;
    }
    const url = request.routeOptions?.url;
    if (url === undefined || withoutTrailingSlash(url) !== route) {
      done(unsupportedMediaType());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    payload.on('data', (chunk: Buffer | string) => {
      if (failed) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > MAX_FORM_BYTES) {
        failed = true;
        done(tooLarge());
        return;
      }
      chunks.push(bytes);
    });
    payload.on('error', (error: Error) => {
      if (!failed) {
        failed = true;
        done(error);
      }
    });
    payload.on('end', () => {
      if (!failed) {
        done(null, Buffer.concat(chunks).toString('utf8'));
      }
    });
  });
}
