import { CdpError, type LockAnswer } from '@cdp/sdk';
import type { Collection } from 'mongodb';
import { insertIfAbsent } from './duplicate-key.js';

export interface LockDocument {
  _id: string;
  owner: string;
  since: Date;
  expiresAt: Date;
}

/** A refusal needs a live holder; when the holder vanished or expired between two steps, try again. */
const MAX_ACQUIRE_ATTEMPTS = 5;

/**
 * The per-connection run lock as a lease. Built only on a conditional `updateOne` and an `insertOne` of a
 * fixed `_id`, both atomic on every MongoDB-compatible server (unlike `findOneAndUpdate` on some).
 */
export class RunLocks {
  constructor(private readonly locks: Collection<LockDocument>) {}

  async acquire(connectionId: string, owner: string, leaseMs: number, now: Date): Promise<LockAnswer> {
    const lease = { owner, since: now, expiresAt: new Date(now.getTime() + leaseMs) };
    for (let attempt = 1; attempt <= MAX_ACQUIRE_ATTEMPTS; attempt++) {
      // Our own lease is extended (keeping `since`); an expired one of another owner is taken over.
      if (await this.renew(connectionId, owner, leaseMs, now)) return { acquired: true };
      const taken = await this.locks.updateOne({ _id: connectionId, expiresAt: { $lte: now } }, { $set: lease });
      if (taken.matchedCount === 1) return { acquired: true };
      // Nobody holds it yet: the first insert wins, every other one hits the unique _id.
      if (await insertIfAbsent(() => this.locks.insertOne({ _id: connectionId, ...lease }))) return { acquired: true };

      const holder = await this.locks.findOne({ _id: connectionId });
      if (holder && holder.expiresAt > now) return { acquired: false, owner: holder.owner, since: holder.since, expiresAt: holder.expiresAt };
    }
    throw new CdpError('lock_contention', `The run lock of ${connectionId} changed hands ${MAX_ACQUIRE_ATTEMPTS} times while being acquired`);
  }

  async renew(connectionId: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const renewed = await this.locks.updateOne({ _id: connectionId, owner }, { $set: { expiresAt: new Date(now.getTime() + leaseMs) } });
    return renewed.matchedCount === 1;
  }

  async release(connectionId: string, owner: string): Promise<void> {
    await this.locks.deleteOne({ _id: connectionId, owner });
  }
}
