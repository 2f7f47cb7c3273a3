import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { VisiwiseWebhookException } from '../http/visiwise-webhook.exception';
import { VisiwiseWebhookVerifier } from '../signature/visiwise-webhook-verifier';
import type { VisiwiseWebhookModuleOptions } from '../visiwise-webhook-options.interface';
import type { ResolvedEndpoint, ResolvedTenantOptions } from './endpoint-config';
import {
  tenantLookupFailedLogMessage,
  tenantLookupTimeoutReason,
  tenantLookupUnavailableMessage,
  tenantSecretInvalidLogMessage,
} from './endpoints.messages';

/**
 * What a tenant id from a URL may look like; anything else is an unknown tenant, unlooked-up. At
 * most 100 characters: Fastify refuses longer route parameters (`maxParamLength`) with 414.
 */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** How often one tenant's failing lookup is logged at most (an outage must not flood the logs). */
const LOG_INTERVAL_MS = 60_000;

class TenantLookupError extends Error {
  constructor(readonly logLine: string) {
    super(logLine);
  }
}

/**
 * The verifiers of a tenant endpoint's tenants, looked up with the application's `resolveSecret`
 * and cached in a bounded LRU (lru-cache; concurrent lookups of one tenant share one call).
 *
 * An unknown tenant gets the decoy: a verifier of a random secret nobody has, so its deliveries
 * go through the same checks (headers, timestamp, one HMAC) and fail with exactly the answer a bad
 * signature gets, in about the same time. "Unknown" is cached too, briefly, so that a scanner's
 * guesses do not each reach the application's database.
 */
export class TenantVerifiers {
  private readonly cache: LRUCache<string, VisiwiseWebhookVerifier>;
  private readonly decoy: VisiwiseWebhookVerifier;
  private readonly logged: LRUCache<string, true>;
  private readonly options: ResolvedTenantOptions;

  constructor(
    private readonly endpoint: ResolvedEndpoint & { readonly tenants: ResolvedTenantOptions },
    private readonly logger: Logger,
  ) {
    this.options = endpoint.tenants;
    const tolerance =
      endpoint.toleranceSeconds === undefined
        ? {}
        : { toleranceSeconds: endpoint.toleranceSeconds };
    this.decoy = new VisiwiseWebhookVerifier({
      secrets: `whsec_${randomBytes(32).toString('base64')}`,
      ...tolerance,
    });
    this.logged = new LRUCache({ max: 1000, ttl: LOG_INTERVAL_MS });
    this.cache = new LRUCache<string, VisiwiseWebhookVerifier>({
      max: this.options.cacheSize,
      ttl: this.options.cacheTtlMs,
      // A lookup under way whose entry is evicted (a burst of more new tenants than cacheSize) or
      // forgotten (forgetTenant) still answers the deliveries waiting on it; its result is then
      // not cached. lru-cache's default would reject them all: 503s, and an error log of a lookup
      // failure that never happened.
      ignoreFetchAbort: true,
      fetchMethod: (tenant, _stale, { options }) =>
        this.lookUp(tenant).then((verifier) => {
          if (verifier === this.decoy) {
            options.ttl = this.options.unknownTtlMs;
          }
          return verifier;
        }),
    });
  }

  /**
   * The verifier of a tenant: from the cache (synchronously), or a promise of it. Rejects with a
   * 503 {@link VisiwiseWebhookException} when the lookup failed or timed out.
   */
  verifierFor(tenant: string): VisiwiseWebhookVerifier | Promise<VisiwiseWebhookVerifier> {
    if (!TENANT_ID.test(tenant)) {
      return this.decoy;
    }
    const cached = this.cache.get(tenant);
    if (cached !== undefined) {
      return cached;
    }
    return this.cache.fetch(tenant).then(
      (verifier) => verifier ?? this.decoy,
      (error: unknown) => {
        this.logFailure(tenant, error);
        throw new VisiwiseWebhookException(
          'tenant_lookup_failed',
          tenantLookupUnavailableMessage(),
        );
      },
    );
  }

  /** Drops a tenant from the cache (its secret rotated, or it was created or deleted). */
  forget(tenant: string): void {
    this.cache.delete(tenant);
  }

  /** Drops every tenant from the cache. */
  forgetAll(): void {
    this.cache.clear();
  }

  private async lookUp(tenant: string): Promise<VisiwiseWebhookVerifier> {
    const { resolveSecret, timeoutMs } = this.options;
    // Aborted on timeout only (see ignoreFetchAbort above): the application's query is its own.
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const secret = await Promise.race([
        Promise.resolve().then(() =>
          resolveSecret(tenant, { endpoint: this.endpoint.name, signal: controller.signal }),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(
              new TenantLookupError(
                tenantLookupFailedLogMessage(
                  this.endpoint.name,
                  tenant,
                  tenantLookupTimeoutReason(timeoutMs),
                ),
              ),
            );
          }, timeoutMs);
        }),
      ]);
      return this.verifierOf(tenant, secret);
    } finally {
      clearTimeout(timer);
    }
  }

  private verifierOf(
    tenant: string,
    secret: VisiwiseWebhookModuleOptions['secret'] | undefined,
  ): VisiwiseWebhookVerifier {
    if (secret === undefined || (Array.isArray(secret) && secret.length === 0)) {
      return this.decoy;
    }
    try {
      return new VisiwiseWebhookVerifier({
        secrets: secret,
        ...(this.endpoint.toleranceSeconds === undefined
          ? {}
          : { toleranceSeconds: this.endpoint.toleranceSeconds }),
      });
    } catch {
      // The error would describe the value; the log line names the tenant only.
      throw new TenantLookupError(tenantSecretInvalidLogMessage(this.endpoint.name, tenant));
    }
  }

  private logFailure(tenant: string, error: unknown): void {
    if (this.logged.has(tenant)) {
      return;
    }
    this.logged.set(tenant, true);
    this.logger.error(
      error instanceof TenantLookupError
        ? error.logLine
        : tenantLookupFailedLogMessage(this.endpoint.name, tenant, describeError(error)),
    );
  }
}

/** An application error's name and first line, bounded: never its properties or stack. */
function describeError(error: unknown): string {
  if (error instanceof Error) {
    const firstLine = error.message.split('\n', 1)[0] ?? '';
    return `${error.name}: ${firstLine.slice(0, 200)}`;
  }
  return 'a non-Error value was thrown';
}
