import type { Operation } from '@trpc/client';

/** Per-call options that make a mutation safe to send again: see `withIdempotencyKey`. */
export interface IdempotentCallOptions {
  context: { idempotencyKey: string };
}

/**
 * Per-call options for a mutation that may be retried: the server runs it once per key
 * (per user or API token, for 24 hours) and answers a repeat with the first result.
 * `client.tasks.create.mutate(input, withIdempotencyKey(crypto.randomUUID()))`.
 */
export function withIdempotencyKey(key: string): IdempotentCallOptions {
  if (key.length === 0) throw new TypeError('An idempotency key must not be empty');
  return { context: { idempotencyKey: key } };
}

/** The key a call was made with, if any. */
export function idempotencyKeyOf(op: Pick<Operation, 'context'>): string | undefined {
  const key = op.context.idempotencyKey;
  return typeof key === 'string' ? key : undefined;
}
