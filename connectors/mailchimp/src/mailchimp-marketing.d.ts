/**
 * Types for the parts of the official client this connector uses. The published @types describe only the
 * process-wide singleton; one independent `ApiClient` per API key needs its constructor and properties.
 * Every method resolves with the parsed JSON body (null for 204) and rejects with the superagent error.
 */
declare module '@mailchimp/mailchimp_marketing/src/ApiClient.js' {
  type Query = Record<string, string | number | boolean | string[] | Date | undefined>;

  export default class ApiClient {
    basePath: string;
    /** Milliseconds before a request is abandoned. */
    timeout: number;
    setConfig(config: { apiKey: string } | { accessToken: string }): void;
    ping: { get(): Promise<unknown> };
    lists: {
      getAllLists(opts?: Query): Promise<unknown>;
      getListMembersInfo(listId: string, opts?: Query): Promise<unknown>;
      batchListMembers(listId: string, body: object, opts?: Query): Promise<unknown>;
      deleteListMember(listId: string, subscriberHash: string): Promise<unknown>;
      getListMergeFields(listId: string, opts?: Query): Promise<unknown>;
      addListMergeField(listId: string, body: object): Promise<unknown>;
    };
    campaigns: { list(opts?: Query): Promise<unknown> };
    reports: { getEmailActivityForCampaign(campaignId: string, opts?: Query): Promise<unknown> };
  }
}
