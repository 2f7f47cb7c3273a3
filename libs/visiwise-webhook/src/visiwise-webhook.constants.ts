/** Injection token of the resolved, validated configuration (internal). */
export const VISIWISE_WEBHOOK_CONFIG = Symbol('VISIWISE_WEBHOOK_CONFIG');

/** Route of the webhook endpoint when `path` is not given. */
export const DEFAULT_WEBHOOK_PATH = 'webhooks/visiwise';

/** Environment variable (read through ConfigService when available) holding the secret(s). */
export const SECRET_ENV_VARIABLE = 'VISIWISE_WEBHOOK_SECRET';

/** Logger context of every log line of this package. */
export const LOGGER_CONTEXT = 'VisiwiseWebhook';

/** Injection token of the registration's route path (internal). */
export const VISIWISE_WEBHOOK_PATH = Symbol('VISIWISE_WEBHOOK_PATH');
