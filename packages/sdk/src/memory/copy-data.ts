/**
 * A deep copy of plain data: objects, arrays, Dates and primitives. Unlike structuredClone it builds the
 * copies in the caller's realm, so `instanceof Date` keeps holding (Jest runs tests in their own realm).
 * A plain key loop, not Object.entries/fromEntries: the state store copies every record in and out.
 */
export function copyData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyData) as T;
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date((value as unknown as Date).getTime()) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyData((value as Record<string, unknown>)[key]);
    // Assigning `__proto__` would replace the prototype instead of adding a property of that name.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}
