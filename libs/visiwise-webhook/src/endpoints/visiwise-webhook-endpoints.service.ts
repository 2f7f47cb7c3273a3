import { Inject, Injectable, Logger } from '@nestjs/common';
import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import type { VisiwiseWebhookVerifier } from '../signature/visiwise-webhook-verifier';
import { LOGGER_CONTEXT, VISIWISE_WEBHOOK_CONFIG } from '../visiwise-webhook.constants';
import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';
import type { ResolvedEndpoint, ResolvedTenantOptions } from './endpoint-config';
import { unknownEndpointNameMessage } from './endpoints.messages';
import { TenantVerifiers } from './tenant-verifiers';

/** An endpoint of the module, as the application may inspect it. */
export interface VisiwiseEndpointInfo {
  readonly name: string;
  /** Its route under the module's path (`''` for the single endpoint at the path itself). */
  readonly path: string;
  /** Whether its secrets are looked up per tenant. */
  readonly tenants: boolean;
  readonly delivery: ResolvedEndpoint['delivery']['mode'];
}

/**
 * The module's endpoints at run time: which there are, and the tenant secret caches of tenant
 * endpoints. Call {@link forgetTenant} when a tenant's secret rotates (or the tenant is created or
 * deleted), so that its next delivery looks the secret up again instead of waiting for the cache
 * entry to expire.
 */
@Injectable()
export class VisiwiseWebhookEndpoints {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly tenantVerifiers = new Map<string, TenantVerifiers>();

  /** @internal Created by Nest's injector. */
  constructor(@Inject(VISIWISE_WEBHOOK_CONFIG) private readonly config: VisiwiseWebhookConfig) {
    for (const endpoint of config.endpoints) {
      if (endpoint.tenants !== undefined) {
        this.tenantVerifiers.set(
          endpoint.name,
          new TenantVerifiers(
            endpoint as ResolvedEndpoint & { readonly tenants: ResolvedTenantOptions },
            this.logger,
          ),
        );
      }
    }
  }

  /** Every endpoint, in declaration order. */
  list(): VisiwiseEndpointInfo[] {
    return this.config.endpoints.map((endpoint) => ({
      name: endpoint.name,
      path: endpoint.segment ?? '',
      tenants: endpoint.tenants !== undefined,
      delivery: endpoint.delivery.mode,
    }));
  }

  /**
   * Drops a tenant's cached secret, on every tenant endpoint or on the one named; its next
   * delivery looks it up again.
   */
  forgetTenant(tenant: string, endpoint?: string): void {
    for (const verifiers of this.tenantEndpoints(endpoint)) {
      verifiers.forget(tenant);
    }
  }

  /** Drops every cached tenant secret (of one tenant endpoint, or of all). */
  forgetAllTenants(endpoint?: string): void {
    for (const verifiers of this.tenantEndpoints(endpoint)) {
      verifiers.forgetAll();
    }
  }

  /** @internal The verifier of a tenant endpoint's tenant (see TenantVerifiers.verifierFor). */
  tenantVerifier(
    endpoint: string,
    tenant: string,
  ): VisiwiseWebhookVerifier | Promise<VisiwiseWebhookVerifier> {
    const verifiers = this.tenantVerifiers.get(endpoint);
    if (verifiers === undefined) {
      throw new Error(`Endpoint "${endpoint}" has no tenants`);
    }
    return verifiers.verifierFor(tenant);
  }

  private tenantEndpoints(endpoint: string | undefined): TenantVerifiers[] {
    if (endpoint === undefined) {
      return [...this.tenantVerifiers.values()];
    }
    if (!this.config.endpointsByName.has(endpoint)) {
      throw new VisiwiseConfigurationError(
        unknownEndpointNameMessage(endpoint, [...this.config.endpointsByName.keys()]),
      );
    }
    const verifiers = this.tenantVerifiers.get(endpoint);
    return verifiers === undefined ? [] : [verifiers];
  }
}
