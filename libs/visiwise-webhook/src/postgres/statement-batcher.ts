/** How a {@link StatementBatcher} groups its work. */
export interface StatementBatcherOptions<I> {
  /** Identifies the row an item writes: a batch never holds two items with the same key. */
  readonly key: (item: I) => string;
  /** Most items in one statement. @default 100 */
  readonly maxBatch?: number;
  /**
   * A statement with no answer by then fails its items, and the next one may start: a hung
   * connection must not hold every later delivery (its late answer is ignored). @default none
   */
  readonly timeoutMs?: number | undefined;
}

interface Pending<I, O> {
  readonly item: I;
  readonly key: string;
  readonly resolve: (result: O) => void;
  readonly reject: (error: unknown) => void;
}

// A batch that failed as a whole: the error PostgreSQL gave for one of its rows, or a deadlock /
// serialization failure with another instance. Other errors (the connection, a timeout) are the
// same for every item, and repeating them item by item would only multiply the wait in an outage.
const ROW_ERROR_CLASSES = new Set(['21', '22', '23']);
const RETRYABLE_CODES = new Set(['40P01', '40001']);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 ? code : undefined;
}

/**
 * Group commit for the statements of every delivery: items submitted while the previous statement
 * of the same kind is still running wait and go together in the next one, so under load one
 * round trip and one transaction serve many deliveries, and an idle process sends each item at
 * once (in the next turn of the event loop).
 *
 * Each statement holds distinct keys, sorted, so that two instances writing the same rows lock
 * them in the same order. A batch refused because of one of its rows is re-run item by item, so
 * one bad item fails alone.
 */
export class StatementBatcher<I, O> {
  private readonly maxBatch: number;
  private pending: Pending<I, O>[] = [];
  private running = false;
  private scheduled = false;

  /**
   * @param run writes the items (distinct keys, sorted by key) and resolves one result per item,
   * in the same order.
   */
  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly options: StatementBatcherOptions<I>,
  ) {
    this.maxBatch = options.maxBatch ?? 100;
  }

  /** Writes `item` with whatever else is waiting; resolves its own result. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, key: this.options.key(item), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      // Everything submitted in this turn of the event loop goes in the same statement.
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
  }

  private async flush(): Promise<void> {
    const batch = this.take();
    if (batch.length === 0) {
      return;
    }
    this.running = true;
    try {
      await this.write(batch);
    } finally {
      this.running = false;
      if (this.pending.length > 0) {
        this.schedule();
      }
    }
  }

  /** The next batch: the oldest items, one per key, at most maxBatch; the rest keep waiting. */
  private take(): Pending<I, O>[] {
    const batch: Pending<I, O>[] = [];
    const keys = new Set<string>();
    const left: Pending<I, O>[] = [];
    for (const entry of this.pending) {
      if (batch.length < this.maxBatch && !keys.has(entry.key)) {
        keys.add(entry.key);
        batch.push(entry);
      } else {
        left.push(entry);
      }
    }
    this.pending = left;
    return batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async write(batch: readonly Pending<I, O>[], retried = false): Promise<void> {
    let results: readonly O[];
    try {
      results = await this.withTimeout(this.run(batch.map(({ item }) => item)));
    } catch (error) {
      const state = sqlState(error);
      if (state !== undefined && RETRYABLE_CODES.has(state) && !retried) {
        return this.write(batch, true);
      }
      if (state !== undefined && ROW_ERROR_CLASSES.has(state.slice(0, 2)) && batch.length > 1) {
        for (const entry of batch) {
          await this.write([entry], retried);
        }
        return;
      }
      for (const entry of batch) {
        entry.reject(error);
      }
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(
        `a batch of ${String(batch.length)} got ${String(results.length)} results`,
      );
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => {
      entry.resolve(results[index] as O);
    });
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs;
    if (ms === undefined) {
      return work;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer from PostgreSQL within ${String(ms)} ms`));
      }, ms);
    });
    return Promise.race([work, timeout]).finally(() => {
      clearTimeout(timer);
    });
  }
}
