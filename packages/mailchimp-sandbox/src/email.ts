import { hash } from 'node:crypto';

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** RFC 2606 top-level names that never deliver. */
const RESERVED_TLDS = new Set(['invalid', 'test', 'localhost', 'example']);

/** Mailchimp's identity for a member: MD5 of the lowercased (trimmed) email. */
export function subscriberHash(email: string): string {
  return hash('md5', email.trim().toLowerCase(), 'hex');
}

/** Whether Mailchimp would take this as a real address (syntax, a dotted domain, a plausible TLD). */
export function looksLikeRealEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at !== email.indexOf('@')) return false;
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  if (local.length > 64 || !LOCAL_PART.test(local) || labels.length < 2) return false;
  const tld = labels[labels.length - 1].toLowerCase();
  return labels.every((label) => DOMAIN_LABEL.test(label)) && /^[a-z]{2,}$/.test(tld) && !RESERVED_TLDS.has(tld);
}

export function fakeEmailDetail(email: string): string {
  return `${email} looks fake or invalid, please enter a real email address.`;
}
