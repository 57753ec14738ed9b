/** Groups a cursor's documents, read as `convert` makes them, into batches of `size`; the last may be shorter. */
export async function* batchesOf<D, T>(cursor: AsyncIterable<D>, size: number, convert: (document: D) => T): AsyncIterable<T[]> {
  let batch: T[] = [];
  for await (const document of cursor) {
    batch.push(convert(document));
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
