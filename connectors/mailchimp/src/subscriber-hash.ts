import { createHash } from 'node:crypto';

/** Normalised form of an email, as Mailchimp identifies members by it. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Mailchimp's member id: hex MD5 of the lowercase (and trimmed) email. */
export function subscriberHash(email: string): string {
  return createHash('md5').update(normaliseEmail(email)).digest('hex');
}
