import { deliveryKey } from './event-reader';
import type { DeadLetterStore } from './dead-letter-store.interface';
import { UnparseableVisiwiseDelivery, isUnparseableDelivery } from './unparseable-delivery';

/** The ioredis commands the Redis dead-letter store uses. */
export interface RedisDeadLetterClient {
  eval(script: string, numberOfKeys: number, ...args: string[]): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  zrevrange(key: string, start: number, stop: number): Promise<string[]>;
  zcard(key: string): Promise<number>;
}

// Entry and index change together, or neither does.
const PUT_SCRIPT =
  "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]); return 1";
const REMOVE_SCRIPT =
  "redis.call('HDEL', KEYS[1], ARGV[1]); redis.call('ZREM', KEYS[2], ARGV[1]); return 1";

function parseEntry(json: string | null): UnparseableVisiwiseDelivery | undefined {
  if (json === null) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(json);
    return isUnparseableDelivery(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Dead letters shared by every instance through Redis: a hash of entries by delivery id and a
 * sorted set of ids by receive time, changed together by a script. Entries never expire: they are
 * kept until replayed (or deleted by hand).
 */
export class RedisDeadLetterStore implements DeadLetterStore {
  private readonly entriesKey: string;
  private readonly indexKey: string;

  constructor(
    private readonly client: RedisDeadLetterClient,
    keyPrefix: string,
  ) {
    this.entriesKey = `${keyPrefix}entries`;
    this.indexKey = `${keyPrefix}index`;
  }

  async put(entry: UnparseableVisiwiseDelivery): Promise<void> {
    await this.client.eval(
      PUT_SCRIPT,
      2,
      this.entriesKey,
      this.indexKey,
      deliveryKey(entry),
      JSON.stringify(entry),
      String(Date.parse(entry.receivedAt)),
    );
  }

  async get(id: string): Promise<UnparseableVisiwiseDelivery | undefined> {
    return parseEntry(await this.client.hget(this.entriesKey, id));
  }

  async list(offset: number, limit: number): Promise<UnparseableVisiwiseDelivery[]> {
    const ids = await this.client.zrevrange(this.indexKey, offset, offset + limit - 1);
    if (ids.length === 0) {
      return [];
    }
    const values = await this.client.hmget(this.entriesKey, ...ids);
    return values
      .map(parseEntry)
      .filter((entry): entry is UnparseableVisiwiseDelivery => entry !== undefined);
  }

  count(): Promise<number> {
    return this.client.zcard(this.indexKey);
  }

  async remove(id: string): Promise<void> {
    await this.client.eval(REMOVE_SCRIPT, 2, this.entriesKey, this.indexKey, id);
  }
}
