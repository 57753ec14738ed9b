export { MIN_PASSWORD_LENGTH } from './access.js';
export { startConsole, type ConsoleOptions, type RunningConsole } from './console.js';
export { envFileSecretStore, type SecretStore } from './env-file-secrets.js';
export { MAILCHIMP_LOGIN_URL, type MailchimpOAuthOptions } from './routes/mailchimp-oauth.js';
