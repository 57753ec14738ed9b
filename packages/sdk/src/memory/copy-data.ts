/**
 * A deep copy of plain data: objects, arrays, Dates and primitives. Unlike structuredClone it builds the
 * copies in the caller's realm, so `instanceof Date` keeps holding (Jest runs tests in their own realm).
 */
export function copyData<T>(value: T): T {
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date((value as Date).getTime()) as T;
  if (Array.isArray(value)) return value.map(copyData) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyData(item)])) as T;
  }
  return value;
}
