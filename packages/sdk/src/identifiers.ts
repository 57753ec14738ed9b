import { hash } from 'node:crypto';

/** Longest address SMTP (RFC 5321) and Mailchimp accept; longest local part. */
const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

/** A dot-atom of RFC 5322 (atoms joined by single dots), ASCII only: Mailchimp refuses non-ASCII local parts. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** A domain label: letters (internationalised domains allowed), digits, inner hyphens. */
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

/**
 * Printable ASCII without whitespace or capitals: such a text is already NFC, trimmed and lowercase. Emails
 * are normalised at every boundary (profiles, payloads, Mailchimp's answers), so most already are.
 */
const ALREADY_NORMAL = /^[\x21-\x40\x5b-\x7e]*$/;

/** The form every email is compared, stored and hashed in: NFC, trimmed, lowercase. */
export function normalizeEmail(email: string): string {
  if (ALREADY_NORMAL.test(email)) return email;
  return email.normalize('NFC').trim().toLowerCase();
}

/**
 * The form unique-identifier values are matched in by `ProfileStore.findByIdentifier`: the normalised email
 * form, so `Ann@Example.com ` in a profile and `ann@example.com` in Mailchimp are one person.
 */
export const identifierKey = normalizeEmail;

/** The identifier keys of a property's values, each once (only strings identify): what stores index identifiers by. */
export function identifierKeysOf(values: readonly unknown[] | undefined): string[] {
  return [...new Set((values ?? []).filter((value): value is string => typeof value === 'string').map(identifierKey))];
}

/**
 * Whether Mailchimp would accept the (normalised) address: one '@', a dot-atom local part, a domain of at
 * least two labels with an alphabetic top level, no whitespace, within the length limits.
 */
export function isValidEmail(normalized: string): boolean {
  if (normalized.length > MAX_EMAIL_LENGTH) return false;
  const parts = normalized.split('@');
  if (parts.length !== 2) return false;
  const [local, domain] = parts;
  return isValidLocalPart(local) && isValidDomain(domain);
}

function isValidLocalPart(local: string): boolean {
  return local.length <= MAX_LOCAL_LENGTH && LOCAL_PART.test(local);
}

function isValidDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const topLevel = labels[labels.length - 1];
  return (
    labels.every((label) => label.length <= MAX_LABEL_LENGTH && DOMAIN_LABEL.test(label)) &&
    topLevel.length >= 2 &&
    !/^\d+$/.test(topLevel)
  );
}

/** Mailchimp's member id: hex MD5 of the normalised email. */
export function subscriberHash(email: string): string {
  return hash('md5', normalizeEmail(email), 'hex');
}
