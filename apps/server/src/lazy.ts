/**
 * A value computed on first use, then kept. For startup work that only some requests need
 * (the OpenAPI document, a REST route's query coercer): a process that never serves them
 * never pays for them, and cold start stays short.
 */
export function lazy<T>(compute: () => T): () => T {
  let computed = false;
  let value: T;
  return () => {
    if (!computed) {
      value = compute();
      computed = true;
    }
    return value;
  };
}
