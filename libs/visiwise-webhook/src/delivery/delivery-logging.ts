import type { Logger } from '@nestjs/common';
import { storeFailedLogMessage } from './delivery.messages';
import type { IdempotencyStoreError } from './handle-once';

/** Logs each handler error under the given message, stack included. */
export function logHandlerErrors(
  logger: Logger,
  errors: readonly unknown[],
  message: string,
): void {
  for (const error of errors) {
    logger.error(message, error instanceof Error ? error.stack : String(error));
  }
}

/** Logs a store failure with its cause (never anything secret: ids and Redis errors only). */
export function logStoreError(logger: Logger, id: string, error: IdempotencyStoreError): void {
  const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
  logger.error(`${storeFailedLogMessage(error.operation, id)} ${cause}`);
}
