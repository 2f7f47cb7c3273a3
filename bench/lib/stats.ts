/** Median, range and relative spread of a series of measurements. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** (max - min) / median, as a fraction. */
  readonly relativeSpread: number;
  readonly count: number;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]) of unsorted values; NaN when empty. */
export function quantile(values: readonly number[] | Float64Array, q: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = Float64Array.from(values).sort();
  return sortedQuantile(sorted, q);
}

/** Quantile of values already sorted in ascending order. */
export function sortedQuantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] ?? NaN;
  const high = sorted[upper] ?? NaN;
  return low + (high - low) * (position - lower);
}

export function spread(values: readonly number[]): Spread {
  const mid = median(values);
  const min = values.length > 0 ? Math.min(...values) : NaN;
  const max = values.length > 0 ? Math.max(...values) : NaN;
  return { median: mid, min, max, relativeSpread: (max - min) / mid, count: values.length };
}

/** Least-squares slope of y over x (e.g. bytes per delivery); NaN with fewer than two points. */
export function slope(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) {
    return NaN;
  }
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  let numerator = 0;
  let denominator = 0;
  for (const [x, y] of points) {
    numerator += (x - meanX) * (y - meanY);
    denominator += (x - meanX) ** 2;
  }
  return denominator === 0 ? NaN : numerator / denominator;
}

/**
 * Median of the per-round ratios a[i] / b[i]. Rounds interleave the contenders, so the two values
 * of one round were measured moments apart, under the same conditions: on a machine whose speed
 * drifts (shared cores), this is steadier than the ratio of the two medians.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  const ratios: number[] = [];
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    ratios.push((a[index] ?? NaN) / (b[index] ?? NaN));
  }
  return median(ratios);
}
