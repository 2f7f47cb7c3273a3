import { StatementBatcher } from './statement-batcher';

/** An error as pg reports one from the server, with its SQLSTATE. */
const sqlError = (code: string): Error => Object.assign(new Error(`sqlstate ${code}`), { code });

/** A batcher over a recording `run` that answers each item with its upper-case form. */
function recording(
  fail?: (items: readonly string[], call: number) => Error | undefined,
  maxBatch?: number,
) {
  const batches: string[][] = [];
  const batcher = new StatementBatcher<string, string>(
    (items) => {
      batches.push([...items]);
      const error = fail?.(items, batches.length);
      return error === undefined
        ? Promise.resolve(items.map((item) => item.toUpperCase()))
        : Promise.reject(error);
    },
    { key: (item) => item.split(':')[0] ?? item, ...(maxBatch === undefined ? {} : { maxBatch }) },
  );
  return { batcher, batches };
}

describe('StatementBatcher', () => {
  it('writes what was submitted in one turn of the event loop as one batch, sorted by key', async () => {
    const { batcher, batches } = recording();
    const results = await Promise.all(['c', 'a', 'b'].map((item) => batcher.submit(item)));
    expect(results).toEqual(['C', 'A', 'B']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('sends an item alone when nothing else waits', async () => {
    const { batcher, batches } = recording();
    expect(await batcher.submit('a')).toBe('A');
    expect(await batcher.submit('b')).toBe('B');
    expect(batches).toEqual([['a'], ['b']]);
  });

  it('keeps what arrives while a statement runs for the next one (group commit)', async () => {
    let release: (() => void) | undefined;
    const batches: string[][] = [];
    const batcher = new StatementBatcher<string, string>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) {
          await new Promise<void>((resolve) => (release = resolve));
        }
        return items;
      },
      { key: (item) => item },
    );
    const first = batcher.submit('a');
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['d', 'c', 'b'].map((item) => batcher.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([['a']]);
    release?.();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('never puts two items with the same key in one batch', async () => {
    const { batcher, batches } = recording();
    const results = await Promise.all(
      ['x:1', 'y:1', 'x:2', 'x:3'].map((item) => batcher.submit(item)),
    );
    expect(results).toEqual(['X:1', 'Y:1', 'X:2', 'X:3']);
    expect(batches).toEqual([['x:1', 'y:1'], ['x:2'], ['x:3']]);
  });

  it('holds at most maxBatch items per statement', async () => {
    const { batcher, batches } = recording(undefined, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((item) => batcher.submit(item)));
    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
  });

  it('re-runs a batch refused for one of its rows item by item: only that item fails', async () => {
    const { batcher, batches } = recording((items) =>
      items.includes('bad') ? sqlError('22021') : undefined,
    );
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((item) => batcher.submit(item)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: '22021' } });
    expect(batches).toEqual([['a', 'b', 'bad'], ['a'], ['b'], ['bad']]);
  });

  it('runs a batch again once after a deadlock with another instance', async () => {
    const { batcher, batches } = recording((_items, call) =>
      call === 1 ? sqlError('40P01') : undefined,
    );
    expect(await Promise.all(['a', 'b'].map((item) => batcher.submit(item)))).toEqual(['A', 'B']);
    expect(batches).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('fails the whole batch at once for an error that is not about a row (the database down)', async () => {
    const down = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const { batcher, batches } = recording(() => down);
    const results = await Promise.allSettled(['a', 'b', 'c'].map((item) => batcher.submit(item)));
    expect(results).toEqual(Array(3).fill({ status: 'rejected', reason: down }));
    expect(batches).toHaveLength(1);
    // And it recovers: the next submission gets a statement of its own.
    const { batcher: next } = recording((_items, call) => (call === 1 ? down : undefined));
    await expect(next.submit('a')).rejects.toBe(down);
    await expect(next.submit('b')).resolves.toBe('B');
  });

  it('fails a statement with no answer within timeoutMs, and lets the next one run', async () => {
    const batches: string[][] = [];
    const batcher = new StatementBatcher<string, string>(
      (items) => {
        batches.push([...items]);
        // The first statement hangs (a connection that never answers).
        return batches.length === 1 ? new Promise<never>(() => undefined) : Promise.resolve(items);
      },
      { key: (item) => item, timeoutMs: 30 },
    );
    await expect(batcher.submit('hung')).rejects.toThrow('no answer from PostgreSQL within 30 ms');
    await expect(batcher.submit('next')).resolves.toBe('next');
    expect(batches).toEqual([['hung'], ['next']]);
  });

  it('rejects every item of a batch whose statement answered a different number of results', async () => {
    const batcher = new StatementBatcher<string, string>(() => Promise.resolve(['only one']), {
      key: (item) => item,
    });
    const results = await Promise.allSettled(['a', 'b'].map((item) => batcher.submit(item)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
