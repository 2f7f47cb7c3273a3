import type { DeadLetterStore } from '../delivery/dead-letter-store.interface';
import type { UnparseableVisiwiseDelivery } from '../delivery/unparseable-delivery';
import type { VisiwiseUnparseableReason } from '../events/visiwise-event.parser';
import type { PostgresDeliveryLog } from '../postgres/postgres-delivery-log';
import type { VisiwiseLoggedDeliveryDetail } from '../postgres/delivery-log.interface';

const PAGE = 500;

/** How the log's `last_error` holds an unparseable delivery's reason and message. */
export function unparseableError(reason: string, message: string): string {
  return `${reason}: ${message}`;
}

/**
 * The dead letters of the inline and background modes kept in the delivery log (`inbox` on):
 * its `unparseable` deliveries of one endpoint. The receiver records them before answering, so
 * `put` has nothing left to do; a replay that delivers the event changes its status in the log
 * (through the journal), so `remove` has nothing to do either.
 */
export class InboxDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly log: PostgresDeliveryLog,
    private readonly endpoint: string,
  ) {}

  put(): Promise<void> {
    return Promise.resolve();
  }

  async get(key: string): Promise<UnparseableVisiwiseDelivery | undefined> {
    // deliveryKey(): `<tenant>/<id>` on tenant endpoints (tenant ids have no '/'), else the id.
    const slash = key.indexOf('/');
    const candidates =
      slash > 0
        ? [
            { tenant: key.slice(0, slash), deliveryId: key.slice(slash + 1) },
            { tenant: '', deliveryId: key },
          ]
        : [{ tenant: '', deliveryId: key }];
    for (const candidate of candidates) {
      const found = await this.log.get({ endpoint: this.endpoint, ...candidate });
      if (found?.status === 'unparseable') {
        return toUnparseable(found);
      }
    }
    return undefined;
  }

  async list(offset: number, limit: number): Promise<UnparseableVisiwiseDelivery[]> {
    const wanted: UnparseableVisiwiseDelivery[] = [];
    let cursor: string | undefined;
    let skipped = 0;
    do {
      const page = await this.log.list(
        { endpoint: this.endpoint, status: 'unparseable' },
        { limit: PAGE, ...(cursor === undefined ? {} : { cursor }) },
      );
      for (const item of page.items) {
        if (skipped < offset) {
          skipped++;
        } else if (wanted.length < limit) {
          const detail = await this.log.get(item);
          if (detail !== undefined) wanted.push(toUnparseable(detail));
        }
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && wanted.length < limit);
    return wanted;
  }

  count(): Promise<number> {
    return this.log.count({ endpoint: this.endpoint, status: 'unparseable' });
  }

  remove(): Promise<void> {
    return Promise.resolve();
  }
}

function toUnparseable(detail: VisiwiseLoggedDeliveryDetail): UnparseableVisiwiseDelivery {
  const error = detail.lastError ?? '';
  const separator = error.indexOf(': ');
  const timestamp = detail.svixTimestamp ?? detail.receivedAt;
  return {
    kind: 'unparseable',
    id: detail.deliveryId,
    endpoint: detail.endpoint,
    ...(detail.tenant === '' ? {} : { tenant: detail.tenant }),
    reason: (separator > 0
      ? error.slice(0, separator)
      : 'invalid_envelope') as VisiwiseUnparseableReason,
    message: separator > 0 ? error.slice(separator + 2) : error,
    receivedAt: detail.receivedAt.toISOString(),
    headers: {
      'svix-id': detail.deliveryId,
      'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      // The log never keeps the signature (see docs/DECISIONS.md).
      'svix-signature': '',
    },
    rawBody: detail.rawBody.toString('base64'),
  };
}
