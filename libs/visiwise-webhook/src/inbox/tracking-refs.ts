/** Most tracking references kept per delivery (a bill of lading lists its containers). */
const MAX_REFS = 50;

const isRef = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 64;

/**
 * The container, bill-of-lading and booking numbers an event's data names, for the inbox's
 * search: `trackingReference`, the `number` of each tracking kind and of their containers. Read
 * defensively: the payload's shape is not published, and its issues must not stop recording.
 */
export function trackingRefsOf(data: Readonly<Record<string, unknown>>): string[] {
  const refs = new Set<string>();
  const add = (value: unknown): void => {
    if (isRef(value) && refs.size < MAX_REFS) refs.add(value);
  };
  add(data['trackingReference']);
  for (const kind of ['containerTracking', 'blTracking', 'bookingTracking']) {
    const tracking = data[kind];
    if (typeof tracking !== 'object' || tracking === null) continue;
    add((tracking as Record<string, unknown>)['number']);
    const containers = (tracking as Record<string, unknown>)['containers'];
    if (Array.isArray(containers)) {
      for (const container of containers.slice(0, MAX_REFS)) {
        if (typeof container === 'object' && container !== null) {
          add((container as Record<string, unknown>)['number']);
        }
      }
    }
  }
  return [...refs];
}
