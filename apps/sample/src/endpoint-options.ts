import type { VisiwiseEndpointOptions } from 'nestjs-visiwise-webhook';

/**
 * The sample's named endpoints from VISIWISE_ENDPOINTS: `name=whsec_...` entries separated by
 * commas (e.g. `eu=whsec_A,us=whsec_B`), mounted at `POST /webhooks/visiwise/<name>` each with its
 * own secret; a name listed twice gets both secrets (a rotation). Unset or empty: undefined, and
 * the sample has its single endpoint at `POST /webhooks/visiwise`. Errors never repeat a secret.
 */
export function endpointsFromEnv(
  value: string | undefined,
): Record<string, VisiwiseEndpointOptions> | undefined {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  const secrets = new Map<string, string[]>();
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .forEach((entry, index) => {
      const separator = entry.indexOf('=');
      const name = separator > 0 ? entry.slice(0, separator).trim() : '';
      const secret = separator > 0 ? entry.slice(separator + 1).trim() : '';
      if (name === '' || secret === '') {
        throw new Error(
          `VISIWISE_ENDPOINTS entry ${index + 1} is not name=secret: write it as ` +
            '"eu=whsec_...,us=whsec_..." (one name=secret per endpoint, separated by commas).',
        );
      }
      secrets.set(name, [...(secrets.get(name) ?? []), secret]);
    });
  return Object.fromEntries([...secrets].map(([name, list]) => [name, { secret: list }]));
}
