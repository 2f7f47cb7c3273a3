import type {
  VisiwiseDeliveryKey,
  VisiwiseDeliveryLogFilter,
  VisiwiseDeliveryLogStatus,
} from '../postgres/delivery-log.interface';
import { invalidFieldMessage } from './inbox-page.messages';

/*
 * Query parameters and form fields of the page, read from the URL (or form) as plain strings:
 * never the platform's parsed `req.query`, whose shape differs between Express (qs: nested objects
 * and arrays) and Fastify. A value is refused (400) rather than ignored, so that the list shown is
 * always the list asked for.
 */

/** Every status, in the order the page shows them. */
export const DELIVERY_STATUSES: readonly VisiwiseDeliveryLogStatus[] = [
  'received',
  'handled',
  'failed',
  'dead',
  'unparseable',
];

/** Statuses the page offers to replay (the replayer decides for good). */
export const REPLAYABLE_STATUSES: readonly VisiwiseDeliveryLogStatus[] = [
  'failed',
  'dead',
  'unparseable',
];

/** Rows per page when `limit` is not given, and the most a page shows. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Reads one parameter; `undefined` when absent. */
export type ParameterReader = (name: string) => string | undefined;

/** A parameter the page cannot use; its message names the parameter and the rule. */
export class InvalidParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParameterError';
  }
}

/** No control characters (PostgreSQL refuses NUL, and none belongs in a name or an id). */
function isPrintable(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) {
      return false;
    }
  }
  return true;
}

function text(
  read: ParameterReader,
  name: string,
  maxLength: number,
  required: boolean,
): string | undefined {
  const value = read(name)?.trim();
  if (value === undefined || value === '') {
    if (required) {
      throw new InvalidParameterError(invalidFieldMessage(name, 'is required'));
    }
    return undefined;
  }
  if (value.length > maxLength || !isPrintable(value)) {
    throw new InvalidParameterError(
      invalidFieldMessage(name, `must be at most ${maxLength} printable characters`),
    );
  }
  return value;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * `YYYY-MM-DD` (a whole UTC day) or an ISO date-time (UTC when it has no offset). For `to`, a
 * day is inclusive: it ends at the next midnight.
 */
function date(read: ParameterReader, name: 'from' | 'to'): Date | undefined {
  const value = text(read, name, 40, false);
  if (value === undefined) {
    return undefined;
  }
  let time = Number.NaN;
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [year, month, dayOfMonth] = [Number(day[1]), Number(day[2]), Number(day[3])];
    time = Date.UTC(year, month - 1, dayOfMonth + (name === 'to' ? 1 : 0));
    // Date.UTC rolls 2025-02-31 over into March: refuse what is not a real day.
    const check = new Date(Date.UTC(year, month - 1, dayOfMonth));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== dayOfMonth) {
      time = Number.NaN;
    }
  } else if (DATE_TIME.test(value)) {
    time = Date.parse(/(Z|[+-]\d{2}:\d{2})$/i.test(value) ? value : `${value}Z`);
  }
  if (Number.isNaN(time)) {
    throw new InvalidParameterError(
      invalidFieldMessage(name, 'must be a date (YYYY-MM-DD) or an ISO date-time'),
    );
  }
  return new Date(time);
}

/** What the list shows: the log's filter and page, and the values to show back in the form. */
export interface InboxListQuery {
  readonly filter: VisiwiseDeliveryLogFilter;
  readonly cursor?: string;
  readonly limit: number;
  /** The filter as given (trimmed), to fill the form and build the paging links. */
  readonly params: Readonly<Record<string, string>>;
}

/** Names of the list's filter parameters, in form order. */
export const LIST_FILTER_PARAMETERS = [
  'status',
  'type',
  'endpoint',
  'tenant',
  'from',
  'to',
  'q',
] as const;

/**
 * Reads the list's parameters: `status`, `type`, `endpoint`, `tenant`, `from`, `to` (see
 * {@link date}), `q` (a delivery id or a tracking reference), `cursor` and `limit`.
 *
 * @throws InvalidParameterError naming the parameter.
 */
export function readListQuery(read: ParameterReader): InboxListQuery {
  const status = text(read, 'status', 20, false);
  if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidParameterError(
      invalidFieldMessage('status', `must be one of ${DELIVERY_STATUSES.join(', ')}`),
    );
  }
  const type = text(read, 'type', 128, false);
  const endpoint = text(read, 'endpoint', 64, false);
  const tenant = text(read, 'tenant', 128, false);
  const from = date(read, 'from');
  const to = date(read, 'to');
  const q = text(read, 'q', 256, false);
  const cursor = text(read, 'cursor', 64, false);
  const limitText = text(read, 'limit', 4, false);
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InvalidParameterError(
      invalidFieldMessage('limit', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`),
    );
  }
  const filter: VisiwiseDeliveryLogFilter = {
    ...(status === undefined ? {} : { status: status as VisiwiseDeliveryLogStatus }),
    ...(type === undefined ? {} : { type }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(from === undefined ? {} : { receivedFrom: from }),
    ...(to === undefined ? {} : { receivedBefore: to }),
    ...(q === undefined ? {} : { q }),
  };
  const params: Record<string, string> = {};
  for (const name of LIST_FILTER_PARAMETERS) {
    const value = read(name)?.trim();
    if (value !== undefined && value !== '') {
      params[name] = value;
    }
  }
  if (limitText !== undefined) {
    params['limit'] = limitText;
  }
  return { filter, limit, params, ...(cursor === undefined ? {} : { cursor }) };
}

/**
 * Reads a delivery's key from `endpoint`, `tenant` (may be empty) and `id`.
 *
 * @throws InvalidParameterError naming the parameter.
 */
export function readDeliveryKey(read: ParameterReader): Required<VisiwiseDeliveryKey> {
  const endpoint = text(read, 'endpoint', 64, true) ?? '';
  const tenant = text(read, 'tenant', 128, false) ?? '';
  const deliveryId = text(read, 'id', 256, true) ?? '';
  return { endpoint, tenant, deliveryId };
}

/** Reads parameters from a request URL (path and query string). */
export function urlParameters(url: string): ParameterReader {
  const query = url.indexOf('?');
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  return (name) => params.get(name) ?? undefined;
}
