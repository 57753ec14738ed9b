import ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';
import type { Sandbox } from '@cdp/mailchimp-sandbox';

export const KEY_A = '0123456789abcdef0123456789abcdef-us21';
export const KEY_B = 'fedcba9876543210fedcba9876543210-us21';

/** An independent official client pointed at the sandbox. */
export function clientFor(sandbox: Sandbox, apiKey: string, timeoutMs?: number): ApiClient {
  const client = new ApiClient();
  client.setConfig({ apiKey, server: apiKey.split('-').pop() as string });
  client.basePath = sandbox.baseUrl;
  if (timeoutMs !== undefined) client.timeout = timeoutMs;
  return client;
}

export interface ClientError {
  status?: number;
  code?: string;
  response?: { body: { title: string; status: number; detail: string; errors?: { field: string; message: string }[] }; headers: Record<string, string> };
}

/** Awaits a call that must be refused and returns the client's error. */
export async function refusal(call: Promise<unknown>): Promise<ClientError> {
  try {
    await call;
  } catch (error) {
    return error as ClientError;
  }
  throw new Error('Expected the call to be refused, but it succeeded');
}
