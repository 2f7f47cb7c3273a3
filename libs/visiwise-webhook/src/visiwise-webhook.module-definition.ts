import { ConfigurableModuleBuilder } from '@nestjs/common';
import { createVisiwiseWebhookController } from './http/visiwise-webhook.controller';
import { createVisiwiseInboxPageController } from './inbox/inbox-page.controller';
import { resolveInboxPage, VISIWISE_INBOX_PAGE } from './inbox/inbox-page-config';
import type {
  VisiwiseWebhookModuleExtras,
  VisiwiseWebhookModuleOptions,
} from './visiwise-webhook-options.interface';
import { DEFAULT_WEBHOOK_PATH, VISIWISE_WEBHOOK_PATH } from './visiwise-webhook.constants';
import { VisiwiseConfigurationError } from './signature/visiwise-configuration.error';
import { invalidPathMessage } from './visiwise-webhook.messages';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: VISIWISE_WEBHOOK_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<VisiwiseWebhookModuleOptions>({
  moduleName: 'VisiwiseWebhook',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createVisiwiseWebhookOptions')
  .setExtras<VisiwiseWebhookModuleExtras>(
    { isGlobal: false, path: DEFAULT_WEBHOOK_PATH },
    (definition, extras) => {
      // `{ path: undefined }` overrides the builder's default, so default again here.
      const path = extras.path ?? DEFAULT_WEBHOOK_PATH;
      if (typeof path !== 'string' || path.trim() === '') {
        throw new VisiwiseConfigurationError(invalidPathMessage());
      }
      // Validated here, at registration: a page without a guard must never get as far as a route.
      const page =
        extras.inboxPage === undefined ? undefined : resolveInboxPage(extras.inboxPage, path);
      return {
        ...definition,
        global: extras.isGlobal ?? false,
        providers: [
          ...(definition.providers ?? []),
          { provide: VISIWISE_WEBHOOK_PATH, useValue: path },
          ...(page === undefined ? [] : [{ provide: VISIWISE_INBOX_PAGE, useValue: page }]),
        ],
        controllers: [
          ...(definition.controllers ?? []),
          createVisiwiseWebhookController(path, extras.controllerDecorators ?? []),
          // Deliberately without `controllerDecorators` (e.g. a `@Public()` for Visiwise).
          ...(page === undefined ? [] : [createVisiwiseInboxPageController(page)]),
        ],
      };
    },
  )
  .build();
