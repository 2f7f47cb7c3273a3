import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { TestingModuleBuilder } from '@nestjs/testing';
import {
  VISIWISE_DELIVERY_LOG,
  VISIWISE_INBOX_REPLAYER,
  type PostgresDeliveryLog,
  type VisiwiseDeliveryKey,
  type VisiwiseDeliveryLogEntry,
  type VisiwiseDeliveryLogStatus,
  type VisiwiseInboxReplayer,
  type VisiwiseInboxReplayResult,
} from 'nestjs-visiwise-webhook';

/** The operators' bearer token of the tests' guard. */
export const OPERATOR_TOKEN = 'operator-token-7f3a9c';

/** An application's own authentication guard, as the page requires one: a bearer token. */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    if (request.headers['authorization'] !== `Bearer ${OPERATOR_TOKEN}`) {
      throw new UnauthorizedException();
    }
    return true;
  }
}

/**
 * A small real replayer for the page's supertest suite (the browser test uses the module's own):
 * it reads the delivery from the log, refuses what is not failed, dead or unparseable, and records
 * a handled attempt. Records every call, so tests can prove when it was not called.
 */
export class LogMarkingReplayer implements VisiwiseInboxReplayer {
  readonly calls: VisiwiseDeliveryKey[] = [];

  constructor(private readonly log: PostgresDeliveryLog) {}

  async replay(key: VisiwiseDeliveryKey): Promise<VisiwiseInboxReplayResult> {
    this.calls.push(key);
    const delivery = await this.log.get(key);
    if (delivery === undefined) {
      return 'not_found';
    }
    if (!['failed', 'dead', 'unparseable'].includes(delivery.status)) {
      return 'not_replayable';
    }
    await this.log.recordAttempt(key, {
      attempt: delivery.history.length + 1,
      startedAt: new Date(),
      outcome: 'handled',
    });
    await this.log.markHandled(key);
    return 'replayed';
  }
}

/**
 * Replaces the two tokens the page depends on (the module provides them, `null` without `inbox`)
 * with the test's log and replayer: the page is what is under test, and the replayer's calls are
 * observable.
 */
export function withInboxTokens(
  builder: TestingModuleBuilder,
  log: PostgresDeliveryLog,
  replayer: VisiwiseInboxReplayer,
): TestingModuleBuilder {
  return builder
    .overrideProvider(VISIWISE_DELIVERY_LOG)
    .useValue(log)
    .overrideProvider(VISIWISE_INBOX_REPLAYER)
    .useValue(replayer);
}

/** A delivery to seed, with the status it should end in. */
export interface SeededDelivery extends VisiwiseDeliveryLogEntry {
  readonly finalStatus: VisiwiseDeliveryLogStatus;
  /** What the failed attempt threw (failed and dead deliveries). */
  readonly failure?: string;
}

/** Records a delivery and brings it to its status the way the receive path would. */
export async function seedDelivery(
  log: PostgresDeliveryLog,
  delivery: SeededDelivery,
): Promise<void> {
  const { finalStatus, failure, ...entry } = delivery;
  await log.record({
    ...entry,
    ...(finalStatus === 'unparseable' ? { status: 'unparseable' as const } : {}),
  });
  const startedAt = entry.receivedAt ?? new Date();
  switch (finalStatus) {
    case 'received':
    case 'unparseable':
      return;
    case 'handled':
      await log.recordAttempt(entry, { attempt: 1, startedAt, outcome: 'handled' });
      await log.markHandled(entry);
      return;
    case 'failed':
    case 'dead': {
      const error = new Error(failure ?? 'downstream unavailable');
      await log.recordAttempt(entry, { attempt: 1, startedAt, outcome: 'failed', error });
      await log.markFailed(entry, error, 1);
      if (finalStatus === 'dead') {
        await log.markDead(entry, error);
      }
      return;
    }
  }
}

/** Undoes the page's escaping of an attribute value or text, to read values back. */
export function unescapeHtml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}
