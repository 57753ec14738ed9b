import { createHash } from 'node:crypto';
import mailchimp from '@mailchimp/mailchimp_marketing';
import type { Profile } from '@cdp/sdk';
import { BENCH_API_KEY } from './synthetic-data.js';

/**
 * The "small script" most integrations start from: for each profile, one `setListMember` (PUT) with the
 * official client, one after the other. It sends the merge fields only; tags would take a second call per
 * profile, so the comparison favours the script.
 */
export async function naiveSync(baseUrl: string, audienceId: string, profiles: Profile[]): Promise<void> {
  mailchimp.setConfig({ apiKey: BENCH_API_KEY, server: 'us1' });
  // The singleton has no typed base path; pointing it at the sandbox is the documented way.
  (mailchimp as unknown as { basePath: string }).basePath = baseUrl;
  for (const profile of profiles) {
    const email = String(profile.properties.email[0]);
    const hash = createHash('md5').update(email.toLowerCase()).digest('hex');
    await mailchimp.lists.setListMember(audienceId, hash, {
      email_address: email,
      status_if_new: 'subscribed',
      merge_fields: {
        FNAME: String(profile.properties.first_name[0]),
        LNAME: String(profile.properties.last_name[0]),
        CITY: String(profile.properties.city[0]),
        PLAN: String(profile.properties.plan[0]),
        CDPID: profile.id,
      },
    });
  }
}
