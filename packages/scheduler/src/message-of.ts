/** The text of a thrown value, for logs and reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
