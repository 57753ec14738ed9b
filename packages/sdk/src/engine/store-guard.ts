import { CdpError } from '../errors.js';

/** A store call that failed (its server went away, a write was refused): named as such, with the cause. */
export class StoreFailedError extends CdpError {
  constructor(store: string, method: string, cause: unknown) {
    super('store_failed', `the ${store} failed (${method}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.cause = cause;
  }
}

/**
 * The same store, whose failures say which store and which call failed: a run stopped by a database that went
 * away then reports "the state store failed (putSent): connect ECONNREFUSED" instead of the bare socket error.
 * Promise-returning methods and async iterables (streams) are both covered; the engine's own errors pass as they are.
 */
export function guardStore<T extends object>(store: T, name: string): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = String(property);
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          throw named(error, name, method);
        }
        if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(named(error, name, method)));
        if (isAsyncIterable(result)) return guardIterable(result, name, method);
        return result;
      };
    },
  });
}

async function* guardIterable<V>(iterable: AsyncIterable<V>, name: string, method: string): AsyncIterable<V> {
  try {
    yield* iterable;
  } catch (error) {
    throw named(error, name, method);
  }
}

function named(error: unknown, store: string, method: string): unknown {
  return error instanceof CdpError ? error : new StoreFailedError(store, method, error);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
