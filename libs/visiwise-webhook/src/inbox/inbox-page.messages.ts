/*
 * Every message of the inbox page, shared by the code and its tests. None receives an option's
 * value other than the page's own path: the page never prints configuration.
 */

const GUARD_FIX =
  'Pass `inboxPage.guards: [YourAuthGuard]`: a guard (class or instance) that lets only your ' +
  'operators through; the page shows payloads and can replay deliveries.';

/** `inboxPage.path` is not a usable route. */
export const invalidInboxPagePathMessage = (): string =>
  '`inboxPage.path` must be a non-empty route of plain segments (letters, digits, ".", "_", "~", ' +
  '"-"; no parameters or wildcards) such as "admin/visiwise-inbox".';

/** The page's routes would fall under the webhook's POST routes (or the reverse). */
export const inboxPagePathCollidesMessage = (pagePath: string, webhookPath: string): string =>
  `\`inboxPage.path\` "${pagePath}" collides with the webhook route "${webhookPath}": the webhook ` +
  "takes POST on its path and one or two segments under it, which would swallow the page's " +
  '"replay" form. Mount the page outside the webhook path, e.g. "admin/visiwise-inbox".';

/** An entry of `inboxPage.guards` is neither a class nor an object with `canActivate`. */
export const invalidInboxPageGuardMessage = (index: number): string =>
  `\`inboxPage.guards[${index}]\` must be a guard class or an object with a canActivate() method.`;

/** `allowUnguarded` has a value other than 'development'. */
export const invalidAllowUnguardedMessage = (): string =>
  "`inboxPage.allowUnguarded` accepts only 'development' (or leave it out).";

/** No guard, and no development opt-out. */
export const inboxPageNeedsGuardMessage = (pagePath: string): string =>
  `The inbox page at "${pagePath}" has no guard, so anyone who can reach the application could ` +
  `read every delivery and replay it. ${GUARD_FIX} On a developer machine only, ` +
  "`inboxPage.allowUnguarded: 'development'` mounts it open (refused when NODE_ENV is 'production').";

/** The development opt-out in production. */
export const unguardedInProductionMessage = (pagePath: string): string =>
  `The inbox page at "${pagePath}" has no guard and NODE_ENV is 'production': ` +
  `\`allowUnguarded: 'development'\` is for developer machines only. ${GUARD_FIX}`;

/** Logged at every start of an app whose page is mounted without a guard. */
export const unguardedPageWarningMessage = (pagePath: string): string =>
  `INBOX PAGE WITHOUT ANY GUARD at "${pagePath}" (allowUnguarded: 'development'): anyone who can ` +
  'reach this application can read every delivery and replay it. Never run this outside a ' +
  'developer machine; add `inboxPage.guards` before deploying.';

/** The page is mounted, but the module provides no delivery log or replayer. */
export const inboxPageNeedsInboxMessage = (): string =>
  '`inboxPage` shows the delivery log: turn on `inbox` (with `database`) in the same ' +
  'VisiwiseWebhookModule registration.';

/** A replay was requested from the page (the audit line of a privileged action). */
export const replayRequestedMessage = (
  key: { readonly endpoint: string; readonly tenant: string; readonly deliveryId: string },
  result: string,
): string =>
  `Inbox page: replay of delivery ${JSON.stringify(key.deliveryId)} (endpoint ` +
  `${JSON.stringify(key.endpoint)}, tenant ${JSON.stringify(key.tenant)}) requested: ${result}.`;

/** The replayer threw. */
export const replayFailedMessage = (key: {
  readonly endpoint: string;
  readonly tenant: string;
  readonly deliveryId: string;
}): string =>
  `Inbox page: replay of delivery ${JSON.stringify(key.deliveryId)} (endpoint ` +
  `${JSON.stringify(key.endpoint)}, tenant ${JSON.stringify(key.tenant)}) could not start.`;

/** The replay form came without the CSRF cookie or field. */
export const csrfTokenMissingMessage = (): string =>
  'The replay form has no CSRF token, or the browser sent no token cookie: reload the delivery ' +
  'page and submit its form again.';

/** Cookie and field differ. */
export const csrfTokenMismatchMessage = (): string =>
  "The replay form's CSRF token does not match this browser's: reload the delivery page and " +
  'submit its form again.';

/** `Sec-Fetch-Site` or `Origin` says the form was posted from another site. */
export const crossSiteRequestMessage = (): string =>
  'Replays are accepted only from the inbox page itself (this request came from another origin).';

/** A replay form that is not `application/x-www-form-urlencoded`. */
export const unsupportedFormMessage = (): string =>
  'The replay form must be sent as application/x-www-form-urlencoded.';

/** A replay form too large to be the page's form. */
export const formTooLargeMessage = (maxBytes: number): string =>
  `The replay form is larger than ${maxBytes} bytes: it is not the page's form.`;

/** A missing or malformed field of the replay form or a query parameter. */
export const invalidFieldMessage = (name: string, rule: string): string => `\`${name}\` ${rule}.`;
