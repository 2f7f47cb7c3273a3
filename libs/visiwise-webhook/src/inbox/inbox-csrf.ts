import { randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * CSRF protection of the replay form, in three layers, each enough against a plain cross-site form:
 * 1. SameSite=Strict on the token cookie: a browser sends it with no request started by another
 *    site, so such a POST lacks it;
 * 2. `Sec-Fetch-Site` and `Origin`, when the browser sends them (every current browser does on a
 *    POST), must say the request came from the page's own origin;
 * 3. double submit: the form's hidden field must equal the HttpOnly cookie, compared in constant
 *    time. Another site can neither read the cookie nor the page (no CORS, frame-ancestors 'none').
 * No server-side secret: tokens hold nothing to forge, so they work across instances and restarts
 * without shared state. A cookie planted by a sibling subdomain (cookie tossing) is covered by 2,
 * and a second cookie of the same name makes the check fail closed.
 */

/** Name of the token cookie (scoped to the page's path). */
export const CSRF_COOKIE_NAME = 'visiwise_inbox_csrf';

/** Name of the form's hidden field. */
export const CSRF_FIELD_NAME = 'csrf';

/** 32 random bytes, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh random token. */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Every well-formed value of the token cookie in a `Cookie` header, in the order sent. */
export function csrfCookieTokens(cookieHeader: string | undefined): string[] {
  if (cookieHeader === undefined) {
    return [];
  }
  const tokens: string[] = [];
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === CSRF_COOKIE_NAME) {
      const value = pair.slice(separator + 1).trim();
      if (TOKEN_PATTERN.test(value)) {
        tokens.push(value);
      }
    }
  }
  return tokens;
}

/**
 * The token a page should put in its form: the browser's cookie when it has exactly one
 * well-formed value, else a new one (to be set as the cookie with the page).
 */
export function pageCsrfToken(cookieHeader: string | undefined): {
  readonly token: string;
  readonly isNew: boolean;
} {
  const tokens = new Set(csrfCookieTokens(cookieHeader));
  const [only] = tokens;
  return tokens.size === 1 && only !== undefined
    ? { token: only, isNew: false }
    : { token: newCsrfToken(), isNew: true };
}

/** The `Set-Cookie` value: HttpOnly, SameSite=Strict, scoped to the page, Secure over HTTPS. */
export function csrfCookie(token: string, path: string, secure: boolean): string {
  return (
    `${CSRF_COOKIE_NAME}=${token}; Path=${path}; HttpOnly; SameSite=Strict` +
    (secure ? '; Secure' : '')
  );
}

/** Constant-time equality of two tokens (their length is not secret: it is always 43). */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why the double submit fails, or `undefined` when the field matches every token cookie. */
export function csrfProblem(
  cookieHeader: string | undefined,
  field: string | undefined,
): 'csrf_token_missing' | 'csrf_token_mismatch' | undefined {
  const tokens = csrfCookieTokens(cookieHeader);
  if (tokens.length === 0 || field === undefined || field === '') {
    return 'csrf_token_missing';
  }
  // Every cookie of that name must match (evaluated without shortcut): a second, planted cookie
  // makes the check fail rather than letting the attacker's value win.
  const matches = tokens.map((token) => sameToken(token, field));
  return matches.every(Boolean) ? undefined : 'csrf_token_mismatch';
}

/** The request headers the origin check reads (lower-case names, as Node gives them). */
export interface OriginHeaders {
  readonly origin?: string | string[] | undefined;
  readonly 'sec-fetch-site'?: string | string[] | undefined;
}

/**
 * Whether the browser says the request came from another origin: `Sec-Fetch-Site` other than
 * `same-origin`, or an `Origin` whose host is not `host` (the host the platform read for this
 * request, which honours its trust-proxy setting). Absent headers (curl, old browsers) prove
 * nothing either way; the token still has to match.
 *
 * `Origin: null` is what a browser sends with the page's own form: the page's
 * `Referrer-Policy: no-referrer` makes a POST's origin serialise as `null` (Fetch standard). So
 * `null` passes when `Sec-Fetch-Site: same-origin` vouches for the request (a header pages cannot
 * set), and fails without it (a sandboxed frame sends `null` too).
 */
export function isCrossSite(headers: OriginHeaders, host: string | undefined): boolean {
  const fetchSite = headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') {
    return true;
  }
  const origin = headers.origin;
  if (origin === undefined) {
    return false;
  }
  if (origin === 'null') {
    return fetchSite !== 'same-origin';
  }
  if (typeof origin !== 'string' || host === undefined) {
    return true;
  }
  try {
    return new URL(origin).host.toLowerCase() !== host.toLowerCase();
  } catch {
    return true;
  }
}
