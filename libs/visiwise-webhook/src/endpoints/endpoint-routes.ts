import type { VisiwiseWebhookConfig } from '../visiwise-webhook.config';
import type { ResolvedEndpoint } from './endpoint-config';

/** Route parameter of the endpoint segment (or, for a single tenant endpoint, the tenant). */
export const SEGMENT_PARAM = 'visiwiseEndpoint';
/** Route parameter of the tenant segment under a named endpoint. */
export const TENANT_PARAM = 'visiwiseTenant';

/**
 * The routes the module's controller mounts under its path, whatever the options (the async
 * options are only known after routes are registered): the path itself, one segment, two segments.
 * Which of them answer depends on the endpoints configured ({@link matchEndpoint}); a lookup is a
 * Map get, so a hundred endpoints cost what one costs.
 */
export const ENDPOINT_ROUTES: readonly string[] = [
  '/',
  `:${SEGMENT_PARAM}`,
  `:${SEGMENT_PARAM}/:${TENANT_PARAM}`,
];

/** The endpoint a request reached and its tenant. */
export interface MatchedEndpoint {
  readonly endpoint: ResolvedEndpoint;
  readonly tenant: string | undefined;
}

// The match of an endpoint without tenants, made once: the usual request allocates nothing here.
const plainMatches = new WeakMap<ResolvedEndpoint, MatchedEndpoint>();

function plainMatch(endpoint: ResolvedEndpoint): MatchedEndpoint {
  let match = plainMatches.get(endpoint);
  if (match === undefined) {
    match = { endpoint, tenant: undefined };
    plainMatches.set(endpoint, match);
  }
  return match;
}

type Params = Readonly<Record<string, string | undefined>> | undefined;

/** The endpoint of a request's route parameters, or undefined when no endpoint is mounted there. */
export function matchEndpoint(
  config: VisiwiseWebhookConfig,
  params: Params,
): MatchedEndpoint | undefined {
  const segment = params?.[SEGMENT_PARAM];
  const tenant = params?.[TENANT_PARAM];
  const single = config.single;
  if (single !== undefined) {
    if (single.tenants !== undefined) {
      return segment !== undefined && tenant === undefined
        ? { endpoint: single, tenant: segment }
        : undefined;
    }
    return segment === undefined ? plainMatch(single) : undefined;
  }
  if (segment === undefined) {
    return undefined;
  }
  const endpoint =
    config.endpointsBySegment.get(segment) ?? config.endpointsBySegment.get(segment.toLowerCase());
  if (endpoint === undefined || (endpoint.tenants !== undefined) !== (tenant !== undefined)) {
    return undefined;
  }
  return tenant === undefined ? plainMatch(endpoint) : { endpoint, tenant };
}
