import { createHash, randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableError, type Logger, type SharedLeases } from '@cdp/sdk';

/** Mailchimp processes at most 10 simultaneous requests per account; the 11th gets 429. */
export const MAX_IN_FLIGHT_PER_KEY = 10;

export type Release = () => void;

/** What every request of a session passes before it is sent. */
export interface KeyGate {
  acquire(limit: number): Promise<Release>;
}

interface Waiter {
  limit: number;
  grant: (release: Release) => void;
}

/**
 * Counts the requests in flight for one key. Each acquirer brings its own limit (at most 10), so a session
 * configured lower waits until fewer than its limit are running, while the total never passes 10.
 */
export class KeySlots {
  private inFlight = 0;
  private readonly waiters: Waiter[] = [];

  acquire(limit: number): Promise<Release> {
    const capped = Math.min(limit, MAX_IN_FLIGHT_PER_KEY);
    if (this.waiters.length === 0 && this.inFlight < capped) return Promise.resolve(this.take());
    return new Promise((grant) => this.waiters.push({ limit: capped, grant }));
  }

  private take(): Release {
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.wake();
    };
  }

  /** Grants waiting acquirers in arrival order, skipping those whose own lower limit is still reached. */
  private wake(): void {
    for (let i = 0; i < this.waiters.length && this.inFlight < MAX_IN_FLIGHT_PER_KEY; ) {
      const waiter = this.waiters[i];
      if (this.inFlight < waiter.limit) {
        this.waiters.splice(i, 1);
        waiter.grant(this.take());
      } else {
        i++;
      }
    }
  }
}

const slotsByKey = new Map<string, KeySlots>();

/** A key's SHA-256 digest (hex): how a key is held or named here, never the key itself. */
function keyDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The process-wide slots of a key. Keys are held only as a SHA-256 digest. */
export function slotsForKey(secret: string): KeySlots {
  const digest = keyDigest(secret);
  let slots = slotsByKey.get(digest);
  if (!slots) {
    slots = new KeySlots();
    slotsByKey.set(digest, slots);
  }
  return slots;
}

/** The first and the longest pause before looking again for a free shared slot. */
const SHARED_POLL_MS = { first: 20, max: 500 };

/**
 * The key's slots across processes: each request also holds one of ten leases named after the key's digest,
 * shared by every process of the deployment (the state store's), so workers using one key stay within
 * Mailchimp's limit together. A lease outlives the request's timeout, so one that a dead process held frees
 * itself when it expires.
 */
export class SharedKeySlots {
  private readonly prefix: string;

  constructor(
    private readonly leases: SharedLeases,
    secret: string,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {
    this.prefix = `mailchimp-api-slot:${keyDigest(secret).slice(0, 16)}`;
  }

  /** Waits for a free slot; gives up (retryable) when none frees within a lease, the longest a live holder keeps one. */
  async acquire(): Promise<Release> {
    const giveUpAt = performance.now() + this.leaseMs;
    for (let pause = SHARED_POLL_MS.first; ; pause = Math.min(pause * 2, SHARED_POLL_MS.max)) {
      // Each acquirer starts at a random slot, so processes do not all ask for the same one first.
      const first = randomInt(MAX_IN_FLIGHT_PER_KEY);
      for (let i = 0; i < MAX_IN_FLIGHT_PER_KEY; i++) {
        const name = `${this.prefix}:${(first + i) % MAX_IN_FLIGHT_PER_KEY}`;
        const owner = randomUUID();
        if (await this.leases.acquire(name, owner, this.leaseMs)) return () => this.free(name, owner);
      }
      if (performance.now() > giveUpAt) {
        throw new RetryableError(`No request slot of this Mailchimp key came free within ${Math.round(this.leaseMs / 1000)} s: other processes hold all ${MAX_IN_FLIGHT_PER_KEY}`);
      }
      await sleep(pause / 2 + (Math.random() * pause) / 2);
    }
  }

  private free(name: string, owner: string): void {
    this.leases.release(name, owner).catch((error: unknown) => {
      this.logger.log('warn', 'A shared Mailchimp request slot was not freed; it frees itself when its lease expires', { reason: error instanceof Error ? error.message : String(error) });
    });
  }
}

/** A key's slots in this process (`slotsForKey`), then, where the host shares leases, one of its slots across processes. */
export function keyGate(local: KeySlots, shared?: SharedKeySlots): KeyGate {
  if (!shared) return local;
  return {
    async acquire(limit) {
      const releaseLocal = await local.acquire(limit);
      try {
        const releaseShared = await shared.acquire();
        return () => {
          releaseShared();
          releaseLocal();
        };
      } catch (error) {
        releaseLocal();
        throw error;
      }
    },
  };
}
