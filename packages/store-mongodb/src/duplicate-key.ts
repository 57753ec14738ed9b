const DUPLICATE_KEY = 11000;

/** True for MongoDB's duplicate key error: the unique `_id` or index already holds this value. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Inserts and answers true, or answers false when the `_id` is taken; other errors propagate. */
export async function insertIfAbsent(insert: () => Promise<unknown>): Promise<boolean> {
  try {
    await insert();
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
