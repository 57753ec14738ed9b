/** An instant in ISO 8601 as Mailchimp documents it: 2015-10-21T15:41:36+00:00 (whole seconds). */
export function mailchimpTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
