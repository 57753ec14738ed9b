/** Where connection configs come from: files, a CDP's own database… Configs are validated at every run. */
export interface ConnectionSource {
  /** The raw (unvalidated) config of a connection, or undefined when there is none. */
  get(connectionId: string): Promise<unknown>;
  /** Every raw config, e.g. for the scheduler. */
  list(): Promise<unknown[]>;
}

/** Connections held in memory, keyed by their `id`. */
export class StaticConnectionSource implements ConnectionSource {
  private readonly byId = new Map<string, unknown>();

  constructor(connections: unknown[] = []) {
    for (const connection of connections) this.put(connection);
  }

  put(connection: unknown): void {
    const id = (connection as { id?: unknown })?.id;
    if (typeof id !== 'string') throw new Error('a connection config needs a string "id"');
    this.byId.set(id, connection);
  }

  async get(connectionId: string): Promise<unknown> {
    return this.byId.get(connectionId);
  }

  async list(): Promise<unknown[]> {
    return [...this.byId.values()];
  }
}
