import type { OfficialClient } from './official-client.js';
import type { MailchimpRequests } from './requests.js';

/** Mailchimp's largest page. */
export const PAGE_SIZE = 1000;

/** Offset paging over a collection whose items sit under `property` of each answer, until a short page. */
export async function* offsetPages<T>(
  requests: MailchimpRequests,
  operation: string,
  property: string,
  fetch: (client: OfficialClient, offset: number) => Promise<unknown>,
): AsyncGenerator<T[]> {
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const page = await requests.call<Record<string, T[] | undefined>>(operation, (client) => fetch(client, offset));
    const items = page[property] ?? [];
    if (items.length > 0) yield items;
    if (items.length < PAGE_SIZE) return;
  }
}
