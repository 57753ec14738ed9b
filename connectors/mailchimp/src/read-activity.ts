import { subscriberHash, type ActivityEvent, type MemberActivity } from '@cdp/sdk';
import { mailchimpTime } from './mailchimp-time.js';
import type { Campaign, EmailActivity } from './mailchimp-types.js';
import { offsetPages, PAGE_SIZE } from './offset-pages.js';
import type { MailchimpRequests } from './requests.js';

/**
 * Sends, opens and clicks of the campaigns sent to an audience since an instant. Every recipient of such a
 * campaign is one 'sent' event at the campaign's send time; its opens and clicks come from the activity log.
 */
export async function* readActivity(
  requests: MailchimpRequests,
  audienceId: string,
  since: Date | undefined,
  events: ActivityEvent[],
): AsyncGenerator<MemberActivity[]> {
  const wanted = new Set(events);
  const campaigns = offsetPages<Campaign>(requests, 'GET /campaigns', 'campaigns', (client, offset) =>
    client.campaigns.list({
      list_id: audienceId,
      status: 'sent',
      since_send_time: since ? mailchimpTime(since.getTime()) : undefined,
      count: PAGE_SIZE,
      offset,
      fields: ['campaigns.id', 'campaigns.send_time', 'total_items'],
    }),
  );
  for await (const page of campaigns) {
    // `since_send_time` has whole seconds: a campaign sent at or before `since` was read last time.
    for (const campaign of page.filter((c) => !since || (c.send_time !== undefined && Date.parse(c.send_time) > since.getTime()))) {
      // No `since` here: the campaign was sent after it, so all its activity is too, and the filter would
      // drop recipients who never opened (and with them their 'sent' event).
      const recipients = offsetPages<EmailActivity>(requests, 'GET /reports/{campaign_id}/email-activity', 'emails', (client, offset) =>
        client.reports.getEmailActivityForCampaign(campaign.id, { count: PAGE_SIZE, offset }),
      );
      for await (const emails of recipients) {
        const activities = emails.flatMap((email) => memberEvents(email, campaign, wanted));
        if (activities.length > 0) yield activities;
      }
    }
  }
}

function memberEvents(email: EmailActivity, campaign: Campaign, wanted: Set<ActivityEvent>): MemberActivity[] {
  const member = { memberId: email.email_id ?? subscriberHash(email.email_address), email: email.email_address };
  const events: MemberActivity[] = [];
  if (wanted.has('sent') && campaign.send_time) events.push({ ...member, event: 'sent', at: new Date(campaign.send_time) });
  for (const { action, timestamp } of email.activity ?? []) {
    if ((action === 'open' || action === 'click') && wanted.has(action)) events.push({ ...member, event: action, at: new Date(timestamp) });
  }
  return events;
}
