/** What {@link inspectJsonValue} found in a parsed JSON value. */
export type JsonValueInspection = 'too_deep' | 'prototype_keys' | 'clean';

/**
 * One walk over a parsed JSON value that finds the two things the receiver refuses or removes:
 * nesting of objects/arrays deeper than `maxDepth` (a top-level object or array is depth 1), and
 * own `__proto__` or `constructor` keys anywhere (which the caller then removes with
 * secure-json-parse; most payloads have none, so most are walked once and never scanned again).
 *
 * Walks with an explicit stack, never recursion, and stops at the first container past the
 * limit, so it terminates on any input: even a cyclic object (which JSON cannot produce, but a
 * rewritten `request.body` could) is reported as too deep. Checked on the parsed value, not the
 * text: V8's `JSON.parse` is iterative, so a deep body cannot exhaust the stack while being parsed;
 * the limit protects handlers that walk the result recursively.
 */
export function inspectJsonValue(value: unknown, maxDepth: number): JsonValueInspection {
  if (typeof value !== 'object' || value === null) {
    return 'clean';
  }
  if (maxDepth < 1) {
    return 'too_deep';
  }
  let prototypeKeys = false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  // Parallel stacks and `for...in` rather than Object.values: no array per object, and the key is
  // at hand for the prototype-key test (on JSON.parse output every enumerable key is an own one).
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const childDepth = (depths.pop() ?? 0) + 1;
    if (Array.isArray(node)) {
      for (const child of node as unknown[]) {
        if (typeof child === 'object' && child !== null) {
          if (childDepth > maxDepth) {
            return 'too_deep';
          }
          nodes.push(child);
          depths.push(childDepth);
        }
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    for (const key in record) {
      if (key === '__proto__' || key === 'constructor') {
        prototypeKeys = true;
      }
      const child = record[key];
      if (typeof child === 'object' && child !== null) {
        if (childDepth > maxDepth) {
          return 'too_deep';
        }
        nodes.push(child);
        depths.push(childDepth);
      }
    }
  }
  return prototypeKeys ? 'prototype_keys' : 'clean';
}

/** Whether a parsed JSON value nests objects/arrays deeper than `maxDepth` (see {@link inspectJsonValue}). */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  return inspectJsonValue(value, maxDepth) === 'too_deep';
}
