/**
 * Whether a parsed JSON value nests objects/arrays deeper than `maxDepth` (a top-level object or
 * array is depth 1). Walks the value with an explicit stack, never recursion, and stops at the
 * first container past the limit, so it terminates on any input: even a cyclic object (which JSON
 * cannot produce, but a rewritten `request.body` could) is reported as too deep.
 *
 * Checked on the parsed value, not on the text: V8's `JSON.parse` is iterative, so a deep body
 * cannot exhaust the stack while being parsed; the limit protects handlers that walk the result
 * recursively. A few hundred containers at most for a real payload, against a pass over every byte.
 */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  if (maxDepth < 1) {
    return true;
  }
  const nodes: object[] = [value];
  const depths: number[] = [1];
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const childDepth = (depths.pop() ?? 0) + 1;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        if (childDepth > maxDepth) {
          return true;
        }
        nodes.push(child);
        depths.push(childDepth);
      }
    }
  }
  return false;
}
