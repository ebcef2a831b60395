import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { HttpError, NetworkError } from './http-error.js';
import { backoffDelay, isRetryable, MAX_QUERY_ATTEMPTS } from './retry.js';
import type { AppRouter } from './router.js';

// The retry rules on their own; examples/test/client.test.ts drives them through a real
// server and a gateway that fails requests.

const networkError = () =>
  TRPCClientError.from<AppRouter>(
    new NetworkError('http://127.0.0.1:3000/trpc/auth.me', new TypeError('fetch failed')),
  );
const pageError = (status: number) =>
  TRPCClientError.from<AppRouter>(new HttpError(status, 'Bad Gateway'));
const serverError = (code: string, httpStatus: number) =>
  TRPCClientError.from<AppRouter>({
    error: { code: -32000, message: code, data: { code, httpStatus } },
  });

describe('isRetryable', () => {
  it('retries queries after a network failure or a gateway status', () => {
    const query = { type: 'query' } as const;
    expect(isRetryable(query, networkError(), 1)).toBe(true);
    for (const status of [502, 503, 504])
      expect(isRetryable(query, pageError(status), 1)).toBe(true);
    expect(isRetryable(query, serverError('SERVICE_UNAVAILABLE', 503), 2)).toBe(true);
  });

  it('stops after the last attempt', () => {
    expect(isRetryable({ type: 'query' }, networkError(), MAX_QUERY_ATTEMPTS)).toBe(false);
  });

  it('never retries mutations, aborts, or answers about the call itself', () => {
    expect(isRetryable({ type: 'mutation' }, networkError(), 1)).toBe(false);
    expect(isRetryable({ type: 'mutation' }, pageError(503), 1)).toBe(false);
    const abort = TRPCClientError.from<AppRouter>(new DOMException('aborted', 'AbortError'));
    expect(isRetryable({ type: 'query' }, abort, 1)).toBe(false);
    expect(isRetryable({ type: 'query' }, serverError('NOT_FOUND', 404), 1)).toBe(false);
    expect(isRetryable({ type: 'query' }, serverError('INTERNAL_SERVER_ERROR', 500), 1)).toBe(
      false,
    );
    expect(isRetryable({ type: 'query' }, pageError(500), 1)).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt, jittered within the upper half, and is capped', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, () => 0))).toEqual([125, 250, 500]);
    expect([1, 2, 3].map((n) => backoffDelay(n, () => 1))).toEqual([250, 500, 1000]);
    expect(backoffDelay(20, () => 1)).toBe(4000);
  });
});
