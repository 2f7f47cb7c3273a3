import type { CanActivate, Type } from '@nestjs/common';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { VisiwiseInboxPageOptions } from './inbox-page-options.interface';
import {
  inboxPageNeedsGuardMessage,
  inboxPagePathCollidesMessage,
  invalidAllowUnguardedMessage,
  invalidInboxPageGuardMessage,
  invalidInboxPagePathMessage,
  unguardedInProductionMessage,
} from './inbox-page.messages';

/** The `inboxPage` option, validated at registration (internal). */
export interface ResolvedInboxPage {
  /** Route of the page, as given (trimmed), relative to the global prefix. */
  readonly path: string;
  readonly guards: readonly (Type<CanActivate> | CanActivate)[];
  /** Mounted without any guard (development only): warn at every start. */
  readonly unguarded: boolean;
}

/** Injection token of the {@link ResolvedInboxPage} of a registration (internal). */
export const VISIWISE_INBOX_PAGE = Symbol('VISIWISE_INBOX_PAGE');

// Literal segments only: a route parameter or wildcard would make the page's links and its cookie
// path guesses. Empty segments (leading, trailing or double slashes) are allowed and dropped.
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]*$/;

/** Path segments, empty ones dropped: "/a//b/" and "a/b" are one route on both platforms. */
export function routeSegments(path: string): string[] {
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.toLowerCase());
}

/**
 * Whether the page's routes would overlap the webhook's: the webhook answers POST on its path
 * and on one or two segments under it (named endpoints, tenants), so `<page>/replay` must not be
 * any of those, and the page must not sit at or under the webhook path at all. Compared case-
 * insensitively, as Express routes by default.
 */
function collides(pagePath: string, webhookPath: string): boolean {
  const page = routeSegments(pagePath);
  const webhook = routeSegments(webhookPath);
  const startsWith = (longer: string[], prefix: string[]): boolean =>
    prefix.every((segment, index) => longer[index] === segment);
  const replay = [...page, 'replay'];
  return (
    startsWith(page, webhook) ||
    (startsWith(replay, webhook) && replay.length - webhook.length <= 2)
  );
}

function isGuard(guard: unknown): guard is Type<CanActivate> | CanActivate {
  return (
    typeof guard === 'function' ||
    (typeof guard === 'object' &&
      guard !== null &&
      typeof (guard as { canActivate?: unknown }).canActivate === 'function')
  );
}

/** Whether the process says it runs in production (read at registration and again at start). */
export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['NODE_ENV'] === 'production';
}

/**
 * Validates `inboxPage` at registration. Throws a {@link VisiwiseConfigurationError} naming the
 * fix for a bad path, a path under the webhook's, a bad guard, and, above all, a page without any
 * guard (unless `allowUnguarded: 'development'` outside production).
 */
export function resolveInboxPage(
  options: VisiwiseInboxPageOptions,
  webhookPath: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedInboxPage {
  const given = options as Partial<VisiwiseInboxPageOptions> | null;
  const path = typeof given?.path === 'string' ? given.path.trim() : '';
  if (routeSegments(path).length === 0 || !path.split('/').every((s) => PLAIN_SEGMENT.test(s))) {
    throw new VisiwiseConfigurationError(invalidInboxPagePathMessage());
  }
  if (collides(path, webhookPath)) {
    throw new VisiwiseConfigurationError(inboxPagePathCollidesMessage(path, webhookPath));
  }
  const guards: unknown = given?.guards ?? [];
  if (!Array.isArray(guards)) {
    throw new VisiwiseConfigurationError(invalidInboxPageGuardMessage(0));
  }
  guards.forEach((guard: unknown, index) => {
    if (!isGuard(guard)) {
      throw new VisiwiseConfigurationError(invalidInboxPageGuardMessage(index));
    }
  });
  const allowUnguarded: unknown = given?.allowUnguarded;
  if (allowUnguarded !== undefined && allowUnguarded !== 'development') {
    throw new VisiwiseConfigurationError(invalidAllowUnguardedMessage());
  }
  if (guards.length > 0) {
    return { path, guards: [...(guards as (Type<CanActivate> | CanActivate)[])], unguarded: false };
  }
  if (allowUnguarded !== 'development') {
    throw new VisiwiseConfigurationError(inboxPageNeedsGuardMessage(path));
  }
  if (isProduction(env)) {
    throw new VisiwiseConfigurationError(unguardedInProductionMessage(path));
  }
  return { path, guards: [], unguarded: true };
}
