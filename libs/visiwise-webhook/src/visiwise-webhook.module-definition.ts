import { ConfigurableModuleBuilder } from '@nestjs/common';
import { createVisiwiseWebhookController } from './http/visiwise-webhook.controller';
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
      return {
        ...definition,
        global: extras.isGlobal ?? false,
        providers: [
          ...(definition.providers ?? []),
          { provide: VISIWISE_WEBHOOK_PATH, useValue: path },
        ],
        controllers: [
          ...(definition.controllers ?? []),
          createVisiwiseWebhookController(path, extras.controllerDecorators ?? []),
        ],
      };
    },
  )
  .build();
