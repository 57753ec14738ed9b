import { createHash } from 'node:crypto';

/** Mailchimp processes at most 10 simultaneous requests per account; the 11th gets 429. */
export const MAX_IN_FLIGHT_PER_KEY = 10;

type Release = () => void;

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

/** The process-wide slots of a key. Keys are held only as a SHA-256 digest. */
export function slotsForKey(secret: string): KeySlots {
  const digest = createHash('sha256').update(secret).digest('hex');
  let slots = slotsByKey.get(digest);
  if (!slots) {
    slots = new KeySlots();
    slotsByKey.set(digest, slots);
  }
  return slots;
}
