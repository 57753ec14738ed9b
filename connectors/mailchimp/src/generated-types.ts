/* Generated from the JSON Schemas by scripts/generate-config-types.mjs. Do not edit by hand. */

/**
 * An API key (its -dcNN suffix names the data centre), or an OAuth access token with its server prefix.
 */
export type MailchimpAuth = MailchimpApiKeyAuth | MailchimpOAuth;

/**
 * Every schema of this file, by name.
 */
export interface MailchimpSchemas {
  "mailchimp-auth"?: MailchimpAuth;
}
export interface MailchimpApiKeyAuth {
  apiKey: SecretRef;
  /**
   * API base URL, e.g. http://127.0.0.1:4010/3.0 for the sandbox; defaults to MAILCHIMP_BASE_URL, then https://<dc>.api.mailchimp.com/3.0.
   */
  baseUrl?: string;
}
/**
 * A secret, read from the named environment variable at run time; the value itself never appears in a config.
 */
export interface SecretRef {
  env: string;
}
export interface MailchimpOAuth {
  accessToken: SecretRef;
  serverPrefix: string;
  /**
   * API base URL, e.g. http://127.0.0.1:4010/3.0 for the sandbox; defaults to MAILCHIMP_BASE_URL, then https://<dc>.api.mailchimp.com/3.0.
   */
  baseUrl?: string;
}
