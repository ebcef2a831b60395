import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { TrellisError } from './errors.js';
import { HttpError, NetworkError } from './http-error.js';
import type { AppRouter } from './router.js';
import { CallTimeout } from './timeout.js';

// How a failure is named, from what tRPC's links hand the error link. The same cases over
// real HTTP (a closed port, the REST base as url, a peer that never answers, a server's
// rate limit): apps/server/test/client-errors.test.ts.

const URL = 'http://127.0.0.1:3000/trpc/auth.me';

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function serverError(
  code: string,
  httpStatus: number,
  options: { path?: string; response?: Response } = {},
) {
  const data = { code, httpStatus, ...(options.path ? { path: options.path } : {}) };
  const meta = options.response ? { response: options.response } : undefined;
  return TRPCClientError.from<AppRouter>(
    { error: { code: -32000, message: `refused: ${code}`, data } },
    meta ? { meta } : {},
  );
}

const trellis = (error: TRPCClientError<AppRouter>) => new TrellisError(error);

describe('TrellisError', () => {
  it("keeps the server's code, status and message", () => {
    const error = trellis(serverError('NOT_FOUND', 404, { path: 'tasks.get' }));
    expect([error.code, error.status, error.message]).toEqual([
      'NOT_FOUND',
      404,
      'refused: NOT_FOUND',
    ]);
    const timeout = trellis(serverError('TIMEOUT', 408, { path: 'tasks.get' }));
    expect([timeout.code, timeout.status]).toEqual(['TIMEOUT', 408]);
  });

  it('names a network failure NETWORK, with the URL and the innermost cause, keeping the cause', () => {
    const fetchError = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3000'), {
        code: 'ECONNREFUSED',
      }),
    });
    const error = trellis(TRPCClientError.from<AppRouter>(new NetworkError(URL, fetchError)));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toBe(
      `Cannot reach Trellis at ${URL}: connect ECONNREFUSED 127.0.0.1:3000`,
    );
    expect(error.cause).toBe(fetchError);
    expect(error.status).toBeUndefined();
  });

  it("names a fetch's own TypeError NETWORK too (a fetch this client did not wrap)", () => {
    const error = trellis(TRPCClientError.from<AppRouter>(new TypeError('Failed to fetch')));
    expect([error.code, error.message]).toEqual([
      'NETWORK',
      'Cannot reach Trellis: Failed to fetch',
    ]);
  });

  it('names a page that is no tRPC answer NOT_TRELLIS, saying what came back and what to check', () => {
    const page = new HttpError(502, 'Bad Gateway', { contentType: 'text/html', url: URL });
    const error = trellis(TRPCClientError.from<AppRouter>(page));
    expect(error.code).toBe('NOT_TRELLIS');
    expect(error.status).toBe(502);
    expect(error.message).toContain(
      `Not a Trellis answer from ${URL} (HTTP 502 Bad Gateway, text/html)`,
    );
    expect(error.message).toContain("url option: it is the Trellis server's root");
    expect(error.cause).toBe(page);
  });

  it('names JSON that is not shaped as a tRPC answer NOT_TRELLIS (e.g. the REST base as url)', () => {
    const response = answer(404, { error: { code: 'NOT_FOUND', message: 'No route' } });
    const error = trellis(
      TRPCClientError.from<AppRouter>(new Error('Unable to transform response from server'), {
        meta: { response },
      }),
    );
    expect([error.code, error.status]).toEqual(['NOT_TRELLIS', 404]);
    expect(error.message).toContain('(HTTP 404, application/json)');
  });

  it("names a Trellis server's 404 for no procedure's path NOT_TRELLIS, quoting it", () => {
    const response = answer(404, {});
    const error = trellis(serverError('NOT_FOUND', 404, { response }));
    expect([error.code, error.status]).toEqual(['NOT_TRELLIS', 404]);
    expect(error.message).toContain('It said: "refused: NOT_FOUND"');
    expect(error.data?.code).toBe('NOT_FOUND');
  });

  it("names a 408 page TIMEOUT, and the client's own deadline TIMEOUT without a status", () => {
    const page = trellis(TRPCClientError.from<AppRouter>(new HttpError(408, 'Request Timeout')));
    expect([page.code, page.status]).toEqual(['TIMEOUT', 408]);
    expect(page.message).toMatch(/HTTP 408 .*took too long to arrive/);
    expect(page.message).not.toMatch(/Not a Trellis answer/);
    const own = trellis(
      TRPCClientError.from<AppRouter>(new CallTimeout(URL, 'auth.me', 'query', 50)),
    );
    expect([own.code, own.status]).toEqual(['TIMEOUT', undefined]);
    expect(own.message).toContain('within 50 ms');
  });

  it('leaves the code of a call its caller aborted undefined', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    const error = trellis(TRPCClientError.from<AppRouter>(abort));
    expect(error.code).toBeUndefined();
    expect(error.cause).toBe(abort);
  });

  it('reads the rate limit and Retry-After of the answer', () => {
    const response = answer(
      429,
      {},
      {
        'ratelimit-limit': '10',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '540',
        'retry-after': '540',
      },
    );
    const error = trellis(serverError('TOO_MANY_REQUESTS', 429, { path: 'auth.signIn', response }));
    expect(error.rateLimit).toEqual({ limit: 10, remaining: 0, resetSeconds: 540 });
    expect(error.retryAfterSeconds).toBe(540);
    const plain = trellis(
      serverError('NOT_FOUND', 404, { path: 'tasks.get', response: answer(404, {}) }),
    );
    expect([plain.rateLimit, plain.retryAfterSeconds]).toEqual([undefined, undefined]);
  });
});
