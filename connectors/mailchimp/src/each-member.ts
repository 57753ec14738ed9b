import type { AudienceMember, MemberResult } from '@cdp/sdk';
import { MailchimpApiError } from './failures.js';

/**
 * One call per member, all at once: the key's slots keep the number in flight within Mailchimp's limit. A 404
 * means the member is not there (skipped), as does any refusal `nothingToDo` names; any other refusal fails that
 * member only.
 */
export async function eachMember(
  members: AudienceMember[],
  call: (memberId: string) => Promise<unknown>,
  nothingToDo: (error: MailchimpApiError) => string | undefined = () => undefined,
): Promise<MemberResult[]> {
  return Promise.all(
    members.map(async ({ id, email }): Promise<MemberResult> => {
      try {
        await call(id);
        return { memberId: id, email, outcome: 'updated' };
      } catch (error) {
        if (!(error instanceof MailchimpApiError)) throw error;
        if (error.status === 404) return { memberId: id, email, outcome: 'skipped', reason: 'not a member' };
        const reason = nothingToDo(error);
        if (reason !== undefined) return { memberId: id, email, outcome: 'skipped', reason };
        return { memberId: id, email, outcome: 'failed', reason: `${error.title}: ${error.detail}` };
      }
    }),
  );
}
