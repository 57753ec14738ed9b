/**
 * Yields the items of several async streams as they arrive. Each stream's next item is requested as soon as
 * its previous one is taken, so every stream runs one item ahead of the consumer (read-ahead).
 */
export async function* mergeStreams<T>(streams: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number): void => {
    pending.set(index, iterators[index].next().then((result) => ({ index, result })));
  };
  iterators.forEach((_, index) => pull(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    // The consumer stopped early or one stream failed: the others' read-ahead is abandoned, quietly.
    for (const [index, next] of pending) {
      next.catch(() => undefined);
      iterators[index].return?.().catch(() => undefined);
    }
  }
}
