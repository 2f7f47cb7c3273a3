import { VisiwiseConfigurationError } from '../signature/visiwise-configuration.error';
import { unknownEndpointNameMessage } from '../endpoints/endpoints.messages';
import {
  FailedEventsPage,
  FailedVisiwiseEvent,
  VisiwiseDeadLetterFilter,
  VisiwiseDeadLetterLocation,
  VisiwiseDeadLetterSet,
  pageBounds,
} from './visiwise-dead-letters';

/**
 * The dead letters of every endpoint of the module, each endpoint's kept where its mode keeps them
 * (BullMQ failed set, memory or Redis store). Every operation takes an optional endpoint name;
 * without one it spans them all.
 */
export class EndpointDeadLetters {
  constructor(private readonly sets: ReadonlyMap<string, VisiwiseDeadLetterSet>) {}

  /** Entries, most recent first (merged across endpoints by failure time). */
  async list(page: FailedEventsPage = {}): Promise<FailedVisiwiseEvent[]> {
    const selected = this.select(page.endpoint);
    const [only] = selected;
    if (selected.length === 1 && only !== undefined) {
      return only.list(page);
    }
    const { offset, limit } = pageBounds(page);
    // The first offset + limit of the merge are among the first offset + limit of each.
    const lists = await Promise.all(
      selected.map((set) => set.list({ offset: 0, limit: offset + limit })),
    );
    return lists
      .flat()
      .sort((a, b) => time(b) - time(a))
      .slice(offset, offset + limit);
  }

  /** How many entries there are. */
  async count(filter: VisiwiseDeadLetterFilter = {}): Promise<number> {
    const counts = await Promise.all(this.select(filter.endpoint).map((set) => set.count()));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * Replays a delivery's entry, on the named endpoint (and tenant), or on every endpoint that
   * holds one for this delivery id; resolves whether any was replayed.
   */
  async replay(deliveryId: string, location: VisiwiseDeadLetterLocation = {}): Promise<boolean> {
    let replayed = false;
    for (const set of this.select(location.endpoint)) {
      if (await set.replay(deliveryId, location.tenant)) {
        replayed = true;
      }
    }
    return replayed;
  }

  /** Replays every entry (of one endpoint, or of all); resolves how many were replayed. */
  async replayAll(filter: VisiwiseDeadLetterFilter = {}): Promise<number> {
    let replayed = 0;
    for (const set of this.select(filter.endpoint)) {
      replayed += await set.replayAll();
    }
    return replayed;
  }

  private select(endpoint: string | undefined): VisiwiseDeadLetterSet[] {
    if (endpoint === undefined) {
      return [...this.sets.values()];
    }
    const set = this.sets.get(endpoint);
    if (set === undefined) {
      throw new VisiwiseConfigurationError(
        unknownEndpointNameMessage(endpoint, [...this.sets.keys()]),
      );
    }
    return [set];
  }
}

function time(entry: FailedVisiwiseEvent): number {
  return (entry.failedAt ?? entry.receivedAt).getTime();
}
