import { SECRET_ENV_VARIABLE } from './visiwise-webhook.constants';

export const invalidPathMessage = (): string =>
  '`path` must be a non-empty route string such as "webhooks/visiwise".';

export const secretSourceHint = (): string =>
  ` (Pass \`secret\` to VisiwiseWebhookModule.forRoot()/forRootAsync(), or set ${SECRET_ENV_VARIABLE}.)`;
