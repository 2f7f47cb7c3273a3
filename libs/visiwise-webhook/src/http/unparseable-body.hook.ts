import type { AbstractHttpAdapter } from '@nestjs/core';
import { ENDPOINT_ROUTES } from '../endpoints/endpoint-routes';

/*
 * Nest's platform JSON parser runs before any guard, and a body it cannot parse is answered 400
 * there, before the signature is even looked at. A signed delivery must not be lost for its
 * content (Svix retries a 4xx for ~28 h, then drops it), so on the module's own route a parse
 * failure is turned back into a request without a parsed body: the guard verifies the raw bytes as
 * usual, and the receiver keeps a verified body it cannot read in the dead letters. Every other
 * route, and every other error, is left to the platform.
 */

/**
 * The routes this applies to: POST on this path (global prefix included, no trailing slash) and
 * on the endpoint and tenant segments under it that the module mounts (ENDPOINT_ROUTES).
 */
export interface WebhookRoute {
  readonly path: string;
}

/** Whether a concrete request path is the module's path or one or two segments under it. */
function isModulePath(requestPath: string, route: WebhookRoute): boolean {
  const path = withoutTrailingSlash(requestPath).toLowerCase();
  const base = route.path.toLowerCase();
  if (path === base) {
    return true;
  }
  if (!path.startsWith(`${base}/`)) {
    return false;
  }
  const rest = path.slice(base.length + 1).split('/');
  return rest.length <= 2 && rest.every((segment) => segment !== '');
}

/** Whether a route pattern being registered is one of the module's own. */
function isModuleRoute(url: string, route: WebhookRoute): boolean {
  const path = withoutTrailingSlash(url);
  return ENDPOINT_ROUTES.some(
    (suffix) => path === withoutTrailingSlash(`${route.path}/${suffix}`.replace(/\/+/g, '/')),
  );
}

/** `/prefix/path`, with single slashes, the form both platforms match against. */
export function webhookRoutePath(globalPrefix: string, path: string): string {
  const parts = [globalPrefix, path]
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '');
  return `/${parts.join('/')}`;
}

const withoutTrailingSlash = (path: string): string =>
  path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;

interface ParseFailure {
  readonly type?: unknown;
  readonly code?: unknown;
}

interface ExpressRequest {
  method: string;
  path: string;
  rawBody?: unknown;
  body?: unknown;
}

type ExpressNext = (error?: unknown) => void;

interface ExpressApp {
  use(
    handler: (error: unknown, req: ExpressRequest, res: unknown, next: ExpressNext) => void,
  ): void;
}

interface FastifyRequestLike {
  rawBody?: unknown;
  body?: unknown;
}

type FastifyHandler = (request: FastifyRequestLike, reply: unknown) => unknown;
type FastifyErrorHandler = (error: unknown, request: FastifyRequestLike, reply: unknown) => unknown;

interface FastifyRouteOptions {
  method: string | string[];
  url: string;
  handler: FastifyHandler;
  errorHandler?: FastifyErrorHandler;
}

interface FastifyApp {
  addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): unknown;
}

/**
 * Lets a body the platform could not parse as JSON through to the module's route, on Express
 * (body-parser's `entity.parse.failed`) and Fastify (`FST_ERR_CTP_INVALID_JSON_BODY`). Must be
 * called after Nest registered its body parser and before it registers the routes (a module's
 * `configure()` runs then).
 */
export function letUnparseableBodiesThrough(
  adapter: AbstractHttpAdapter,
  route: WebhookRoute,
): void {
  const platform = adapter.getType();
  if (platform === 'express') {
    throwBackToExpressRoute(adapter.getInstance<ExpressApp>(), route);
  } else if (platform === 'fastify') {
    retryFastifyRouteWithoutBody(adapter.getInstance<FastifyApp>(), route);
  }
}

function throwBackToExpressRoute(app: ExpressApp, route: WebhookRoute): void {
  // An error-handling middleware placed before the routes: calling next() without the error
  // resumes regular routing, so the request reaches the route without a parsed body.
  app.use((error, req, _res, next) => {
    if (
      (error as ParseFailure | undefined)?.type === 'entity.parse.failed' &&
      req.method === 'POST' &&
      Buffer.isBuffer(req.rawBody) &&
      isModulePath(req.path, route)
    ) {
      req.body = undefined;
      next();
      return;
    }
    next(error);
  });
}

function retryFastifyRouteWithoutBody(app: FastifyApp, route: WebhookRoute): void {
  // Fastify ends a request whose body did not parse in the route's error handler; ours runs the
  // route's own handler instead, once, with no body. Anything else goes to the handler that would
  // have had it: the route's own, else (an error handler that throws hands the error on to its
  // parent's) the instance's, Nest's exception filters.
  const retried = new WeakSet();
  app.addHook('onRoute', (options) => {
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    if (!methods.includes('POST') || !isModuleRoute(options.url, route)) {
      return;
    }
    const { handler, errorHandler: routeErrorHandler } = options;
    options.errorHandler = (error, request, reply) => {
      if (
        (error as ParseFailure | undefined)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' &&
        Buffer.isBuffer(request.rawBody) &&
        !retried.has(request)
      ) {
        retried.add(request);
        request.body = undefined;
        return handler(request, reply);
      }
      if (routeErrorHandler) {
        return routeErrorHandler(error, request, reply);
      }
      throw error;
    };
  });
}
