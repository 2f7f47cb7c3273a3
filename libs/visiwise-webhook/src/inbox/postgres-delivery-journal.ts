import type { Logger } from '@nestjs/common';
import type { AnyVisiwiseEvent } from '../events/visiwise-event.interface';
import type { DeliveryJournal, HandleOutcome } from '../delivery/handle-once';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import type { PostgresDeliveryLog } from '../postgres/postgres-delivery-log';
import type {
  VisiwiseDeliveryKey,
  VisiwiseDeliveryLogEntry,
} from '../postgres/delivery-log.interface';
import { inboxUnavailableMessage, journalWriteFailedLogMessage } from './inbox.messages';

/** The delivery log's key of an event or a kept delivery. */
export function logKey(origin: {
  readonly endpoint?: string;
  readonly tenant?: string | undefined;
  readonly id: string;
}): VisiwiseDeliveryKey {
  return {
    endpoint: origin.endpoint ?? 'default',
    tenant: origin.tenant ?? '',
    deliveryId: origin.id,
  };
}

/**
 * Writes the delivery log for the module (the `inbox` option): a verified delivery is recorded
 * before it is acknowledged (the database down answers 503, so Visiwise retries), and every run of
 * its handlers is recorded as an attempt with the status that follows.
 */
export class PostgresDeliveryJournal implements DeliveryJournal {
  private failing = false;

  constructor(
    private readonly log: PostgresDeliveryLog,
    private readonly logger: Logger,
  ) {}

  /**
   * Records a delivery before its answer (a delivery recorded already, a Svix retry, is left as
   * it is); rejects with the 503 to answer when it could not be recorded in time (the log's
   * statement timeout: at worst twice it, when the statement before it hung too).
   */
  async record(entry: VisiwiseDeliveryLogEntry): Promise<void> {
    try {
      await this.log.record(entry);
      this.recovered();
    } catch (error) {
      this.failed(error);
      throw new VisiwiseWebhookException('inbox_unavailable', inboxUnavailableMessage());
    }
  }

  async attempted(
    event: AnyVisiwiseEvent,
    run: {
      readonly attempt: number;
      readonly startedAt: Date;
      readonly outcome: HandleOutcome;
      readonly final: boolean;
    },
  ): Promise<void> {
    const { outcome } = run;
    try {
      await this.log.finishAttempt(logKey(event), {
        startedAt: run.startedAt,
        outcome: outcome.kind === 'handled' ? 'handled' : 'failed',
        error: outcome.kind === 'failed' ? firstError(outcome.errors) : undefined,
        final: run.final,
        eventType: event.type,
      });
      this.recovered();
    } catch (error) {
      // The handlers' outcome stands (and is acknowledged or retried as usual); only its record is
      // missing. Logged once per outage.
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    if (!this.failing) {
      this.failing = true;
      this.logger.error(
        journalWriteFailedLogMessage(error instanceof Error ? error.message : String(error)),
      );
    }
  }

  private recovered(): void {
    this.failing = false;
  }
}

function firstError(errors: readonly unknown[]): unknown {
  const [first] = errors;
  return errors.length <= 1 ? first : new AggregateError(errors, errors.map(String).join('; '));
}
