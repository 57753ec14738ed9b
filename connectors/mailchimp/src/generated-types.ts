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
   * API base URL, e.g. the sandbox's; only base URLs the operator allows are accepted besides Mailchimp's own.
   */
  baseUrl?: string;
}
/**
 * The environment variable holding the API key (…-us21: the suffix names the data centre).
 */
export interface SecretRef {
  /**
   * The environment variable holding the secret; the operator decides which variables connections may name (CDP_SECRET_ENV).
   */
  env: string;
}
export interface MailchimpOAuth {
  accessToken: SecretRef1;
  /**
   * The account's data centre, from Mailchimp's OAuth metadata endpoint.
   */
  serverPrefix: string;
  /**
   * API base URL, e.g. the sandbox's; only base URLs the operator allows are accepted besides Mailchimp's own.
   */
  baseUrl?: string;
}
/**
 * The environment variable holding the OAuth access token.
 */
export interface SecretRef1 {
  /**
   * The environment variable holding the secret; the operator decides which variables connections may name (CDP_SECRET_ENV).
   */
  env: string;
}
