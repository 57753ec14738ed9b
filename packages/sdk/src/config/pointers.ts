/** JSON pointer helpers, and how a config value may be quoted back in a message. */

/** Appends segments to a JSON pointer, escaping `~` and `/` (RFC 6901). */
export function pointerTo(base: string, ...segments: (string | number)[]): string {
  return base + segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Credentials, signing secrets and database URLs are never quoted back, even when they are misplaced. */
export function isSensitive(pointer: string): boolean {
  return pointer === '/auth' || pointer.startsWith('/auth/') || /secret|token|password|apikey/i.test(pointer) || /^\/databases\/[^/]+\/url(\/|$)/.test(pointer);
}

const MAX_QUOTE = 60;

/** A short rendering of a value for a message. */
export function preview(value: unknown): string {
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value) ?? String(value);
    const characters = [...text];
    return characters.length > MAX_QUOTE ? `${characters.slice(0, MAX_QUOTE).join('')}…` : text;
  }
  return 'an object';
}

/** " (got …)" for a message, or nothing where the value may be a secret. */
export function shown(value: unknown, pointer: string): string {
  return isSensitive(pointer) ? '' : ` (got ${preview(value)})`;
}
