import type { CanActivate, Type } from '@nestjs/common';

/**
 * The inbox page (registration-time option `inboxPage`): a server-rendered HTML page where an
 * operator sees every delivery in the delivery log (needs `inbox`), with its payload, headers,
 * issues and attempts, and replays failed, dead and unparseable ones.
 *
 * The page shows payloads and replaying is a privileged action, so it mounts only behind at least
 * one of your guards: without one, registration throws a `VisiwiseConfigurationError`, unless
 * `allowUnguarded: 'development'` is set and `NODE_ENV` is not `production`.
 *
 * ```ts
 * VisiwiseWebhookModule.forRoot({
 *   database: process.env.DATABASE_URL,
 *   inbox: true,
 *   inboxPage: { path: 'admin/visiwise-inbox', guards: [OperatorsGuard] },
 * });
 * ```
 */
export interface VisiwiseInboxPageOptions {
  /**
   * Route of the page, relative to the app's global prefix: `GET /<path>` (summary and list),
   * `GET /<path>/delivery` (one delivery) and `POST /<path>/replay`. Must lie outside the webhook's
   * `path`.
   */
  path: string;
  /**
   * Guards that decide who may see the page and replay: your authentication (and authorisation)
   * guards, as classes or instances, applied to every route of the page in this order, after the
   * app's global guards. A guard class is instantiated in the VisiwiseWebhookModule's scope, so
   * what it injects must be provided by a global module (or pass an instance). At least one is
   * required (see `allowUnguarded`).
   */
  guards?: readonly (Type<CanActivate> | CanActivate)[];
  /**
   * Mount the page without any guard, on a developer machine: refused at registration (and at
   * start) when `NODE_ENV` is `production`, and logged as a warning at every start otherwise.
   */
  allowUnguarded?: 'development';
}
