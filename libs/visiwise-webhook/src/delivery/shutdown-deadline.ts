/*
 * Bounded waits for shutdown. Shutdown must end on time whatever Redis does (down, killed, or
 * frozen: holding connections but never answering), so no close, quit or drain is awaited without
 * a bound. The timers here are cleared as soon as the wait ends, so none outlives shutdown; they
 * are not unref'd, so that shutdown hooks still run to their end when nothing else is alive.
 */

/**
 * Waits for `work` to settle, at most `timeoutMs`. Resolves whether it settled in time; never
 * rejects (a failed close is as finished as a successful one: the fallback is the same).
 */
export async function settleWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(
          () => {
            resolve(false);
          },
          Math.max(0, timeoutMs),
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** How often {@link waitUntil} looks again. Shutdown only: the cost is irrelevant, simplicity not. */
const POLL_MS = 50;

/**
 * Waits until `done()` is true or `timeoutMs` passed; resolves whether `done()` became true.
 * For conditions made of several sources (handlers idle, Redis down, a close finished) that have
 * no single event to await.
 */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    const left = deadline - Date.now();
    if (left <= 0) {
      return false;
    }
    await new Promise<void>((resolve) => {
      setTimeout(resolve, Math.min(POLL_MS, left));
    });
  }
  return true;
}
