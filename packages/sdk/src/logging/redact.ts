const MASK = '***';

/** A Mailchimp API key: 32 hex digits, '-', and the data center (us21, eu1…). */
const MAILCHIMP_KEY = /[0-9a-f]{32}-[a-z]{2,4}\d{1,3}/gi;
/** Credentials of an HTTP Authorization header, e.g. in a dumped request. */
const AUTHORIZATION = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi;

/** Shorter parts of a secret are not masked on their own: they would mask ordinary text. */
const MIN_FORM_LENGTH = 12;

/**
 * Masks every form of the given secret values (see {@link secretForms}), and anything shaped like a Mailchimp
 * API key or the credentials of a Bearer / Basic authorization.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  // Longest first, so a secret containing another is masked whole.
  const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  for (const form of forms) result = result.split(form).join(MASK);
  return result.replace(MAILCHIMP_KEY, MASK).replace(AUTHORIZATION, `$1 ${MASK}`);
}

/**
 * The ways a secret shows up in text: as is, URL-encoded, the key part of a `key-dc` Mailchimp key, and inside
 * base64 (Basic credentials `user:secret`, whatever precedes it): for each of the three byte alignments, the
 * run of base64 characters that depends on the secret's bytes alone.
 */
export function secretForms(secret: string): string[] {
  if (secret.length === 0) return [];
  const forms = [secret, encodeURIComponent(secret)];
  const dash = secret.lastIndexOf('-');
  if (dash >= MIN_FORM_LENGTH) forms.push(secret.slice(0, dash));
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const first = Math.ceil(offset / 3) * 4;
    const last = Math.floor((offset + bytes.length) / 3) * 4;
    forms.push(encoded.slice(first, last));
  }
  return forms.filter((form) => form.length >= Math.min(MIN_FORM_LENGTH, secret.length));
}

const MAX_DEPTH = 8;

/**
 * A JSON-safe copy of a log field with every string (keys included) redacted. Errors keep their name,
 * message, stack, cause and primitive own properties: HTTP client errors hold sockets and requests that
 * must not be dumped.
 */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  return sanitize(value, secrets, 0, new WeakSet());
}

function sanitize(value: unknown, secrets: readonly string[], depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  seen.add(value);
  const nested = (inner: unknown): unknown => sanitize(inner, secrets, depth + 1, seen);
  let result: unknown;
  if (Array.isArray(value)) result = value.map(nested);
  else if (value instanceof Error) result = sanitizeObject(errorFields(value), secrets, nested);
  else result = sanitizeObject(value as Record<string, unknown>, secrets, nested);
  seen.delete(value);
  return result;
}

function sanitizeObject(
  object: Record<string, unknown>,
  secrets: readonly string[],
  nested: (inner: unknown) => unknown,
): Record<string, unknown> {
  // fromEntries defines keys, so a `__proto__` key stays data instead of replacing the prototype.
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [redact(key, secrets), nested(inner)]));
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  for (const [key, inner] of Object.entries(error)) {
    if (['string', 'number', 'boolean'].includes(typeof inner)) fields[key] = inner;
  }
  if (error.stack !== undefined) fields.stack = error.stack;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}
