import { expect } from '@jest/globals';
import { STATE_COLLECTIONS } from '@cdp/store-mongodb';
import type { Db } from 'mongodb';
import { API_KEY } from '../../../connectors/mailchimp/test/e2e/world.js';

export { API_KEY };

/** Where a piece of output came from; the secrets check reports how much of each it searched. */
export type EvidenceKind = 'log line' | 'report' | 'history document' | 'webhook body' | 'error message' | 'process output';

/** The forms a leaked key could take: as is, and inside the Basic credentials the official client sends. */
function leakedForms(secret: string): string[] {
  return [secret, secret.slice(0, 32), Buffer.from(`anystring:${secret}`).toString('base64')];
}

/**
 * Everything a scenario produced that a person or another system could read: log lines, run reports, history
 * documents, webhook bodies, error messages and child process output. Searched for the API key at the end.
 */
export class Evidence {
  private readonly items: { kind: EvidenceKind; text: string }[] = [];

  add(kind: EvidenceKind, value: unknown): void {
    this.items.push({ kind, text: typeof value === 'string' ? value : JSON.stringify(value) });
  }

  addError(error: unknown): void {
    this.add('error message', error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error));
  }

  /** How many items of each kind were collected. */
  counts(): Partial<Record<EvidenceKind, number>> {
    const counts: Partial<Record<EvidenceKind, number>> = {};
    for (const { kind } of this.items) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }

  /** Asserts the key appears nowhere, and that there was something to search. */
  expectNoSecret(secret: string = API_KEY): void {
    expect(this.items.length).toBeGreaterThan(0);
    const leaks = this.items.filter(({ text }) => leakedForms(secret).some((form) => text.includes(form)));
    expect(leaks.map(({ kind, text }) => `${kind}: ${text.slice(0, 200)}`)).toEqual([]);
  }
}

/** Every document of the state store (run history, last-sent payloads, checkpoints, locks…) becomes evidence. */
export async function collectStateDocuments(evidence: Evidence, db: Db): Promise<void> {
  for (const name of Object.values(STATE_COLLECTIONS)) {
    for (const document of await db.collection(name).find().toArray()) evidence.add('history document', document);
  }
}
