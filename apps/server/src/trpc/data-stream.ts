/** A plain object (not an array), as tRPC tests for one. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && !Array.isArray(value) && typeof value === 'object';
}

function isAsyncIterable(value: unknown): boolean {
  return isObject(value) && Symbol.asyncIterator in value;
}

function isPromise(value: unknown): boolean {
  if (!(isObject(value) || typeof value === 'function')) return false;
  const { then, catch: onCatch } = value as { then?: unknown; catch?: unknown };
  return typeof then === 'function' && typeof onCatch === 'function';
}

/** tRPC's test for results that only its streaming links can carry. */
export function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  const values = Object.values(value);
  return values.some(isPromise) || values.some(isAsyncIterable);
}
