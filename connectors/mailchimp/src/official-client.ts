import { Agent as HttpAgent, type Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type { Credentials } from './credentials.js';

type Query = Record<string, string | number | boolean | string[] | undefined>;

/**
 * The parts of the official client's `ApiClient` this connector uses. The published types describe only the
 * process-wide singleton, so an independent instance per session is typed here. Every method resolves with
 * the parsed JSON body (null for 204) and rejects with the superagent error.
 */
export interface OfficialClient {
  basePath: string;
  /** Milliseconds before a request is abandoned. */
  timeout: number;
  /** When true, `agent.attachCookies` sees every request before it is sent, and `agent.saveCookies` every answer. */
  enableCookies: boolean;
  agent: { attachCookies(request: { agent(agent: Agent): unknown }): void; saveCookies(response: unknown): void };
  setConfig(config: { apiKey: string } | { accessToken: string }): void;
  /** The generic request every API method is built on; resolves with `{ data }`, the parsed JSON body. */
  callApi(
    path: string, method: string, pathParams: Query, queryParams: Query, headerParams: Query, formParams: Query, body: object,
    authNames: string[], contentTypes: string[], accepts: string[], returnType: string,
  ): Promise<{ data: unknown }>;
  ping: { get(): Promise<unknown> };
  lists: {
    getAllLists(opts?: Query): Promise<unknown>;
    getList(listId: string, opts?: Query): Promise<unknown>;
    getListMembersInfo(listId: string, opts?: Query): Promise<unknown>;
    getListMember(listId: string, subscriberHash: string, opts?: Query): Promise<unknown>;
    deleteListMember(listId: string, subscriberHash: string): Promise<unknown>;
    /** PATCH /lists/{list_id}/members/{subscriber_hash}. */
    updateListMember(listId: string, subscriberHash: string, body: object, opts?: Query): Promise<unknown>;
    /** POST /lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent. */
    deleteListMemberPermanent(listId: string, subscriberHash: string): Promise<unknown>;
    getListInterestCategories(listId: string, opts?: Query): Promise<unknown>;
    listInterestCategoryInterests(listId: string, interestCategoryId: string, opts?: Query): Promise<unknown>;
    getListMergeFields(listId: string, opts?: Query): Promise<unknown>;
    addListMergeField(listId: string, body: object): Promise<unknown>;
    listSegments(listId: string, opts?: Query): Promise<unknown>;
    /** The body comes first here, unlike the other list calls. */
    batchSegmentMembers(body: { members_to_remove: string[] }, listId: string, segmentId: string): Promise<unknown>;
  };
  campaigns: { list(opts?: Query): Promise<unknown> };
  reports: { getEmailActivityForCampaign(campaignId: string, opts?: Query): Promise<unknown> };
}

type ApiClientClass = new () => OfficialClient;
let apiClient: ApiClientClass | undefined;

/**
 * The client is CommonJS; its ApiClient constructor builds a fresh instance with its own API objects. Required at the
 * first session, not with the module: checking a config reads the connector's declaration and never talks to Mailchimp.
 */
function apiClientClass(): ApiClientClass {
  return (apiClient ??= createRequire(import.meta.url)('@mailchimp/mailchimp_marketing/src/ApiClient.js') as ApiClientClass);
}

/**
 * A client of its own for one session's credentials, base URL and timeout, sending over `connections`. The HTTP
 * library the client sends with opens a new connection for every request (over TLS a new handshake, one or two
 * more round trips per call) unless it is given an agent, and the client never gives one; its cookie hook sees every
 * request before it is sent, so the session's agent is handed over there. No cookie is kept.
 */
export function createOfficialClient(credentials: Credentials, timeoutMs: number, connections: Agent): OfficialClient {
  const ApiClient = apiClientClass();
  const client = new ApiClient();
  // No `server` in the config: the client would otherwise rewrite the first "server" in the base URL.
  client.setConfig(credentials.kind === 'apiKey' ? { apiKey: credentials.secret } : { accessToken: credentials.secret });
  client.basePath = credentials.baseUrl;
  client.timeout = timeoutMs;
  client.enableCookies = true;
  client.agent = { attachCookies: (request) => request.agent(connections), saveCookies: () => {} };
  return client;
}

/**
 * An idle connection is closed after this long, before a Node.js server closes it (its default: 5 s) just as a request
 * is sent on it (Node's own default agent keeps idle connections 5 s).
 */
const IDLE_CONNECTION_MS = 4_000;

/** Connections kept open between a session's requests (its requests to one base URL). */
export function keptConnections(baseUrl: string): Agent {
  const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS };
  return baseUrl.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
}

/**
 * Batch subscribe (POST /lists/{list_id}) asking for only `fields` of the answer. The client's
 * `batchListMembers` sends no query parameter but the two skip flags, so this takes its generic call path with
 * the same path, credentials and content types.
 */
export async function batchListMembersTrimmed(client: OfficialClient, listId: string, body: object, fields: string[]): Promise<unknown> {
  const { data } = await client.callApi(
    '/lists/{list_id}', 'POST', { list_id: listId }, { fields: fields.join(',') }, {}, {}, body,
    ['basicAuth'], ['application/json'], ['application/json', 'application/problem+json'], 'application/json',
  );
  return data;
}
