// The package's types describe only the singleton; tests need independent clients (one per API key).
declare module '@mailchimp/mailchimp_marketing/src/ApiClient.js' {
  // Response bodies are checked against the OpenAPI spec by the conformance helper, so they stay loose here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Call = (...args: any[]) => Promise<any>;
  export default class ApiClient {
    basePath: string;
    timeout: number;
    setConfig(config: { apiKey: string; server: string } | { accessToken: string; server: string }): void;
    ping: { get: Call };
    lists: Record<string, Call>;
    campaigns: Record<string, Call>;
    reports: Record<string, Call>;
    batches: Record<string, Call>;
    /** The generic request behind every method: (path, method, pathParams, query, headers, form, body, auth, contentTypes, accepts, returnType). */
    callApi: Call;
  }
}
