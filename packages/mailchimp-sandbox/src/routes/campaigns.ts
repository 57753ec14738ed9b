import { storedSeconds } from '../clock.js';
import { subscriberHash } from '../email.js';
import { notFound } from '../problem.js';
import { paginate, parseEnumParam, parsePage, parseTimeParam } from '../query.js';
import type { Route, RouteContext } from '../router.js';
import type { SeedCampaign } from '../types.js';

const CAMPAIGN_STATUSES = ['save', 'paused', 'schedule', 'sending', 'sent', 'canceled', 'canceling', 'archived'] as const;

function campaignView(context: RouteContext, campaign: SeedCampaign): Record<string, unknown> {
  const activities = campaign.recipients.flatMap((recipient) => recipient.activity ?? []);
  const opens = activities.filter((entry) => entry.action === 'open').length;
  const clicks = activities.filter((entry) => entry.action === 'click').length;
  const recipients = campaign.recipients.length;
  return {
    id: campaign.id,
    web_id: 0,
    type: 'regular',
    create_time: campaign.send_time,
    archive_url: '',
    long_archive_url: '',
    status: 'sent',
    emails_sent: recipients,
    send_time: campaign.send_time,
    content_type: 'template',
    needs_block_refresh: false,
    resendable: false,
    recipients: {
      list_id: campaign.list_id,
      list_is_active: true,
      list_name: context.store.list(campaign.list_id)?.name ?? '',
      segment_text: '',
      recipient_count: recipients,
    },
    settings: { subject_line: campaign.id, title: campaign.id, from_name: 'Sandbox', reply_to: 'sandbox@mailchimp-sandbox.local' },
    tracking: { opens: true, html_clicks: true, text_clicks: false },
    report_summary: {
      opens,
      unique_opens: opens,
      open_rate: recipients ? opens / recipients : 0,
      clicks,
      subscriber_clicks: clicks,
      click_rate: recipients ? clicks / recipients : 0,
    },
    delivery_status: { enabled: false },
    _links: [],
  };
}

/** GET /campaigns: the seeded campaigns are all sent; `since_send_time` is inclusive, `before_send_time` exclusive. */
function listCampaigns(context: RouteContext): Record<string, unknown> {
  const { query } = context;
  const status = parseEnumParam(query, 'status', CAMPAIGN_STATUSES);
  const listId = query.get('list_id');
  const since = parseTimeParam(query, 'since_send_time');
  const before = parseTimeParam(query, 'before_send_time');
  const campaigns = [...context.store.campaigns.values()].filter((campaign) =>
    (!status || status === 'sent')
    && (!listId || campaign.list_id === listId)
    && (since === undefined || storedSeconds(campaign.send_time) >= since)
    && (before === undefined || storedSeconds(campaign.send_time) < before));
  return {
    campaigns: paginate(campaigns, parsePage(query)).map((campaign) => campaignView(context, campaign)),
    total_items: campaigns.length,
    _links: [],
  };
}

/** GET /reports/{id}/email-activity: one entry per recipient; `since` keeps activity at or after that time. */
function emailActivity(context: RouteContext): Record<string, unknown> {
  const campaign = context.store.campaigns.get(context.params.campaign_id);
  if (!campaign) throw notFound();
  const since = parseTimeParam(context.query, 'since');
  const emails = campaign.recipients.map((recipient) => ({
    campaign_id: campaign.id,
    list_id: campaign.list_id,
    list_is_active: true,
    email_id: subscriberHash(recipient.email_address),
    email_address: recipient.email_address,
    activity: (recipient.activity ?? [])
      .filter((entry) => since === undefined || storedSeconds(entry.timestamp) >= since)
      .map((entry) => ({ action: entry.action, timestamp: entry.timestamp, ip: '', ...(entry.action === 'bounce' ? { type: 'hard' } : {}) })),
    _links: [],
  }));
  return {
    emails: paginate(emails, parsePage(context.query)),
    campaign_id: campaign.id,
    total_items: emails.length,
    _links: [],
  };
}

export const campaignRoutes: Route[] = [
  { method: 'GET', template: '/campaigns', handle: (context) => ({ status: 200, body: listCampaigns(context) }) },
  { method: 'GET', template: '/reports/{campaign_id}/email-activity', handle: (context) => ({ status: 200, body: emailActivity(context) }) },
];
