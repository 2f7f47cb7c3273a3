import type { VisiwiseWebhookModuleExtras } from 'nestjs-visiwise-webhook';
import { BearerTokenGuard } from './bearer-token.guard';

/** Where the sample mounts the inbox page. */
export const INBOX_PAGE_PATH = 'visiwise/inbox';

/**
 * The sample's inbox page, from the environment at start: mounted at `/visiwise/inbox` behind
 * `Authorization: Bearer <VISIWISE_INBOX_TOKEN>` when both DATABASE_URL (the inbox) and
 * VISIWISE_INBOX_TOKEN are set; not mounted otherwise. (Read from `process.env` because routes are
 * registered before ConfigService's factory runs.)
 */
export function inboxPageFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<VisiwiseWebhookModuleExtras, 'inboxPage'> {
  const token = env['VISIWISE_INBOX_TOKEN'];
  const database = env['DATABASE_URL'];
  if (token === undefined || token === '' || database === undefined || database === '') {
    return {};
  }
  return { inboxPage: { path: INBOX_PAGE_PATH, guards: [BearerTokenGuard] } };
}
