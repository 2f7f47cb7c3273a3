import { randomUUID } from 'node:crypto';
import type {
  VisiwiseClaimResult,
  VisiwiseDeliveryClaim,
  VisiwiseIdempotencyStore,
} from './idempotency-store.interface';

/** The few ioredis commands the store uses (ioredis is an optional peer dependency). */
export interface RedisIdempotencyClient {
  set(key: string, value: string, px: 'PX', ms: number, nx?: 'NX'): Promise<'OK' | null>;
  get(key: string): Promise<string | null>;
  eval(script: string, numberOfKeys: number, ...args: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** Options of {@link RedisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /** Prefix of every key. @default 'visiwise:delivery:' */
  keyPrefix?: string;
  /** Whether `close()` quits the client (when the store owns it). @default false */
  closeClient?: boolean;
}

const COMPLETED = 'completed';
const IN_PROGRESS = 'in_progress:';

// Delete the key only if it still holds our claim: never drop another instance's claim or a
// completion that happened after our lease expired.
const RELEASE_SCRIPT =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/**
 * Idempotency store shared by every instance through Redis: the claim is one atomic
 * `SET key in_progress:<token> PX lease NX`, completion a `SET key completed PX ttl`, release a
 * compare-and-delete script. Keys expire on their own; Redis needs no persistence configured for
 * correctness within the retry horizon, but a Redis restart without persistence forgets completions.
 */
export class RedisIdempotencyStore implements VisiwiseIdempotencyStore {
  private readonly keyPrefix: string;
  private readonly closeClient: boolean;

  constructor(
    private readonly client: RedisIdempotencyClient,
    options: RedisIdempotencyStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'visiwise:delivery:';
    this.closeClient = options.closeClient ?? false;
  }

  async claim(id: string, leaseMs: number): Promise<VisiwiseClaimResult> {
    const key = this.keyPrefix + id;
    const token = randomUUID();
    const set = await this.client.set(
      key,
      IN_PROGRESS + token,
      'PX',
      Math.max(1, Math.ceil(leaseMs)),
      'NX',
    );
    if (set === 'OK') {
      return { status: 'claimed', id, token };
    }
    const current = await this.client.get(key);
    // `null`: the other claim expired between our SET and GET; a retry will claim it.
    return current === COMPLETED ? { status: 'completed' } : { status: 'in_progress' };
  }

  async complete(claim: VisiwiseDeliveryClaim, ttlMs: number): Promise<void> {
    await this.client.set(
      this.keyPrefix + claim.id,
      COMPLETED,
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
    );
  }

  async release(claim: VisiwiseDeliveryClaim): Promise<void> {
    await this.client.eval(RELEASE_SCRIPT, 1, this.keyPrefix + claim.id, IN_PROGRESS + claim.token);
  }

  async close(): Promise<void> {
    if (this.closeClient) {
      await this.client.quit();
    }
  }
}
