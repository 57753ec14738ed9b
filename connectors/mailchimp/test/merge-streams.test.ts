import { describe, expect, it } from '@jest/globals';
import { mergeStreams } from '../src/merge-streams.js';

async function* numbers(from: number, count: number, delayMs: number, pulled: number[]): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    pulled.push(from + i);
    yield from + i;
  }
}

describe('merging streams', () => {
  it('yields every item of every stream', async () => {
    const pulled: number[] = [];
    const seen: number[] = [];
    for await (const n of mergeStreams([numbers(0, 5, 2, pulled), numbers(100, 3, 3, pulled), numbers(200, 0, 1, pulled)])) seen.push(n);
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 100, 101, 102]);
  });

  it('reads one item ahead of the consumer in each stream, and no more', async () => {
    const pulled: number[] = [];
    const merged = mergeStreams([numbers(0, 10, 1, pulled)]);
    const first = await merged.next();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(first.value).toBe(0);
    expect(pulled).toEqual([0, 1]);
    await merged.return(undefined);
  });

  it('passes a failure on and stops the others quietly', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('page failed');
    }
    const pulled: number[] = [];
    const consume = async (): Promise<void> => {
      for await (const _ of mergeStreams([failing(), numbers(10, 50, 5, pulled)])) void _;
    };
    await expect(consume()).rejects.toThrow('page failed');
    expect(pulled.length).toBeLessThan(50);
  });
});
