import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { resolveInboxPage } from './inbox-page-config';
import {
  inboxPageNeedsGuardMessage,
  inboxPagePathCollidesMessage,
  invalidAllowUnguardedMessage,
  invalidInboxPageGuardMessage,
  invalidInboxPagePathMessage,
  unguardedInProductionMessage,
} from './inbox-page.messages';

const guard = { canActivate: () => true };
const WEBHOOK = 'webhooks/visiwise';

describe('resolveInboxPage', () => {
  it('accepts a page behind guards (classes or instances)', () => {
    class Guard {
      canActivate(): boolean {
        return true;
      }
    }
    expect(resolveInboxPage({ path: ' admin/inbox ', guards: [Guard, guard] }, WEBHOOK)).toEqual({
      path: 'admin/inbox',
      guards: [Guard, guard],
      unguarded: false,
    });
  });

  it('refuses a page without a guard, naming the fix', () => {
    for (const guards of [undefined, []]) {
      expect(() =>
        resolveInboxPage({ path: 'admin/inbox', ...(guards && { guards }) }, WEBHOOK),
      ).toThrow(new VisiwiseConfigurationError(inboxPageNeedsGuardMessage('admin/inbox')));
    }
  });

  it("allows an open page only with allowUnguarded: 'development', never in production", () => {
    const options = { path: 'admin/inbox', allowUnguarded: 'development' as const };
    expect(resolveInboxPage(options, WEBHOOK, { NODE_ENV: 'development' }).unguarded).toBe(true);
    expect(resolveInboxPage(options, WEBHOOK, {}).unguarded).toBe(true);
    expect(() => resolveInboxPage(options, WEBHOOK, { NODE_ENV: 'production' })).toThrow(
      unguardedInProductionMessage('admin/inbox'),
    );
    expect(() =>
      resolveInboxPage({ path: 'admin/inbox', allowUnguarded: true as never }, WEBHOOK, {}),
    ).toThrow(invalidAllowUnguardedMessage());
  });

  it.each(['', '   ', '/', 'admin/:tenant', 'admin/*', 'admin/in box'])(
    'refuses the path %j',
    (path) => {
      expect(() => resolveInboxPage({ path, guards: [guard] }, WEBHOOK)).toThrow(
        invalidInboxPagePathMessage(),
      );
    },
  );

  it.each(['webhooks/visiwise', 'webhooks/visiwise/admin', 'WEBHOOKS//Visiwise/x/y', 'webhooks'])(
    'refuses %j when the webhook is at webhooks/visiwise (or webhooks/replay)',
    (path) => {
      const webhook = path === 'webhooks' ? 'webhooks/replay' : WEBHOOK;
      expect(() => resolveInboxPage({ path, guards: [guard] }, webhook)).toThrow(
        inboxPagePathCollidesMessage(path, webhook),
      );
    },
  );

  it('accepts a page beside the webhook', () => {
    expect(resolveInboxPage({ path: 'webhooks/inbox', guards: [guard] }, WEBHOOK).path).toBe(
      'webhooks/inbox',
    );
    expect(resolveInboxPage({ path: 'webhooks', guards: [guard] }, WEBHOOK).path).toBe('webhooks');
  });

  it('refuses a guard that is not one', () => {
    expect(() => resolveInboxPage({ path: 'a', guards: [guard, {} as never] }, WEBHOOK)).toThrow(
      invalidInboxPageGuardMessage(1),
    );
  });
});
