export { createMailchimpConnector, mailchimpConnector, type MailchimpConnectorOptions } from './connector.js';
export { MailchimpApiError } from './failures.js';
export type { MailchimpApiKeyAuth, MailchimpAuth, MailchimpOAuth } from './generated-types.js';
export { MAX_IN_FLIGHT_PER_KEY } from './key-limiter.js';
export type { RetryPolicy } from './requests.js';
