/** Label value of an event type that is not known (or past the cap). */
export const OTHER_TYPE_LABEL = 'other';

/** Label value when no type was read (a request refused before its body was parsed). */
export const NO_TYPE_LABEL = 'none';

/** Most distinct event types that get a label value of their own. */
export const MAX_TYPE_LABELS = 100;

/**
 * Maps an event type to a bounded metric label value (and span name suffix). Every distinct label
 * value is a time series kept in memory by prom-client and by Prometheus, and the type comes from
 * the sender: so only a type this application knows (a built-in one, or one a handler subscribes
 * to) keeps its name, at most {@link MAX_TYPE_LABELS} of them; anything else is `other`.
 */
export class EventTypeLabels {
  private readonly named = new Map<string, string>();

  constructor(
    private readonly isKnownType: (type: string) => boolean,
    private readonly max: number = MAX_TYPE_LABELS,
  ) {}

  /** The label value of `type` (`none` when there is no type). */
  of(type: string | undefined): string {
    if (type === undefined) {
      return NO_TYPE_LABEL;
    }
    const label = this.named.get(type);
    if (label !== undefined) {
      return label;
    }
    // Only named types are remembered: unknown ones must not grow this map either.
    if (this.named.size < this.max && this.isKnownType(type)) {
      this.named.set(type, type);
      return type;
    }
    return OTHER_TYPE_LABEL;
  }
}
