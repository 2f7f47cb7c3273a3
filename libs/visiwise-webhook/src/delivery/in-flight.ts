/**
 * Counts the deliveries a strategy is working on, so that shutdown can wait for them. A counter
 * the strategy raises and lowers around its own work (rather than a set of promises with a
 * `then` each) costs nothing per delivery beyond two additions.
 */
export class InFlight {
  private count = 0;
  private readonly idleWaiters = new Set<() => void>();

  /** Deliveries being worked on now. */
  get size(): number {
    return this.count;
  }

  /** A delivery starts; pair every call with exactly one {@link leave} (in a `finally`). */
  enter(): void {
    this.count++;
  }

  /** A delivery ended, whatever its outcome. */
  leave(): void {
    this.count--;
    if (this.count === 0) {
      for (const wake of this.idleWaiters) {
        wake();
      }
    }
  }

  /** Waits until no delivery is in flight or `timeoutMs` passed; resolves to the number left. */
  async waitIdle(timeoutMs: number): Promise<number> {
    if (this.count === 0) {
      return 0;
    }
    let wake: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      this.idleWaiters.add(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    if (wake) {
      this.idleWaiters.delete(wake);
    }
    return this.count;
  }
}
