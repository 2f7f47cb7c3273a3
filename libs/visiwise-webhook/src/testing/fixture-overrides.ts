/**
 * Overrides accepted by the fixture builders: any part of the payload, nested objects merged
 * field by field, arrays and `null` replacing the fixture's value as a whole.
 *
 * ```ts
 * buildShipmentTracked({ containerTracking: { arrivalTime: { isActual: true } } });
 * ```
 */
export type VisiwiseFixtureOverrides<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { readonly [K in keyof T]?: VisiwiseFixtureOverrides<T[K]> }
    : T;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/** A deep copy of plain objects and arrays (fixture data is JSON-like); other values as they are. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(copy);
  }
  if (!isPlainObject(value)) {
    return value;
  }
  const copied: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // A JSON-parsed override may carry an own "__proto__" key; never let it reach a prototype.
    if (key !== '__proto__') {
      copied[key] = copy(value[key]);
    }
  }
  return copied;
}

function mergeValue(base: unknown, override: unknown): unknown {
  if (override === undefined) {
    return copy(base);
  }
  if (!isPlainObject(base) || !isPlainObject(override)) {
    return copy(override);
  }
  const merged = copy(base) as Record<string, unknown>;
  for (const key of Object.keys(override)) {
    if (key !== '__proto__') {
      merged[key] = mergeValue(base[key], override[key]);
    }
  }
  return merged;
}

/**
 * Deep-merges overrides into a fixture and returns an independent copy, so that mutating a built
 * payload never changes the caller's override objects or another test's fixture. (Not
 * `structuredClone`: under Jest it returns objects of another realm, which `toStrictEqual` rejects.)
 */
export function applyFixtureOverrides<T>(base: T, overrides?: VisiwiseFixtureOverrides<T>): T {
  return mergeValue(base, overrides) as T;
}
