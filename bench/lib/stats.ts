/** Linear-interpolated quantile (q in [0, 1]) of unsorted values; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) {
    return NaN;
  }
  const position = (sorted.length - 1) * q;
  const low = sorted[Math.floor(position)] ?? NaN;
  const high = sorted[Math.ceil(position)] ?? NaN;
  return low + (high - low) * (position - Math.floor(position));
}

/** Median of the rounds: robust to the one round another process on the cores disturbed. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
