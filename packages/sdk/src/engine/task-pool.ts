/**
 * Runs async tasks with at most `limit` in flight. `submit` waits for a free slot, which gives back-pressure
 * to the producer (a profile stream), so memory stays flat however long the stream is.
 */
export class TaskPool {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly limit: number) {}

  async submit(task: () => Promise<void>): Promise<void> {
    await this.ready();
    const promise = task()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  /** Waits for a free slot; rethrows the first failure. */
  async ready(): Promise<void> {
    this.throwIfFailed();
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
  }

  /** Waits for every task; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.running);
    this.throwIfFailed();
  }

  /** Waits for the tasks in flight without rethrowing: a producer that stops still lets them finish. */
  async settle(): Promise<void> {
    await Promise.all(this.running);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
