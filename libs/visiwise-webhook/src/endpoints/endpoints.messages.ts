import { SECRET_ENV_VARIABLE } from '../visiwise-webhook.constants';

export const noEndpointsMessage = (): string =>
  '`endpoints` is empty: declare at least one endpoint (e.g. `{ eu: { secret } }`), or leave ' +
  '`endpoints` out for the single endpoint at `path`.';

export const invalidEndpointNameMessage = (name: string): string =>
  `Endpoint name ${JSON.stringify(name.slice(0, 80))} is not allowed: use 1-64 letters, digits, ` +
  "'-' or '_' (it names metrics, Redis keys and queues).";

export const invalidEndpointPathMessage = (name: string): string =>
  `\`endpoints.${name}.path\` must be one route segment of 1-64 letters, digits, '-', '_' or '.' ` +
  "(no '/'); it is mounted under the module's `path`.";

export const duplicateEndpointPathMessage = (first: string, second: string, path: string): string =>
  `Endpoints "${first}" and "${second}" share the path "${path}": give one of them another ` +
  '`path` (or name).';

export const secretAndTenantsMessage = (where: string): string =>
  `${where} sets both \`secret\` and \`tenants\`: a tenant endpoint's secrets come from ` +
  '`tenants.resolveSecret`; remove `secret`.';

export const endpointSecretMissingMessage = (name: string): string =>
  `Endpoint "${name}" has no signing secret: set \`endpoints.${name}.secret\` (or \`tenants\`), ` +
  `or a module-wide \`secret\` / ${SECRET_ENV_VARIABLE} that applies to every endpoint without one.`;

export const invalidTenantOptionsMessage = (where: string, field: string): string =>
  `${where}: \`tenants.${field}\` is invalid: \`resolveSecret\` must be a function; ` +
  '`cacheSize`, `cacheTtlSeconds`, `unknownTtlSeconds` and `timeoutMs` positive numbers.';

export const tenantLookupFailedLogMessage = (
  endpoint: string,
  tenant: string,
  why: string,
): string =>
  `Endpoint "${endpoint}": looking up the secret of tenant ${JSON.stringify(tenant)} failed ` +
  `(${why}); answered 503, Visiwise will retry.`;

export const tenantLookupTimeoutReason = (timeoutMs: number): string =>
  `no answer within ${timeoutMs} ms`;

export const tenantSecretInvalidLogMessage = (endpoint: string, tenant: string): string =>
  `Endpoint "${endpoint}": the secret returned for tenant ${JSON.stringify(tenant)} is not a ` +
  'valid whsec_/whpk_ value; answered 503 until it is fixed.';

export const tenantLookupUnavailableMessage = (): string =>
  'The signing secret of this endpoint could not be looked up; retry later.';

export const unknownEndpointMessage = (): string => 'No Visiwise webhook endpoint at this path.';

export const unknownEndpointNameMessage = (name: string, known: readonly string[]): string =>
  `No endpoint named "${name.slice(0, 80)}"; the endpoints are: ${known.join(', ')}.`;

export const noStaticVerifierMessage = (): string =>
  'VisiwiseSignatureGuard on an application route needs an endpoint with a static `secret`; ' +
  'every endpoint of this module looks its secrets up per tenant.';
