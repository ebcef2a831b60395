// REST under /api/v1 spoken to over plain fetch, through the file's wire: every answer is
// recorded, so the checks of serveThisFile (no 5xx, every status documented) cover it.
import { expect } from 'vitest';
import { type CallOptions, headersFor, type Transport } from './http.js';
import type { Reply } from './wire.js';

/** One REST call: credentials and headers, a JSON body (or raw text), a query string. */
export interface RestCall extends CallOptions {
  /** Sent as JSON; a string is sent as it is. */
  body?: unknown;
  /** Appended as `?…`; repeated keys from arrays, in order. */
  query?: Record<string, string | readonly string[]>;
}

/** The `?…` of `query`, encoded as URLSearchParams (and openapi-fetch) encode it. */
export function queryString(query: RestCall['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of typeof value === 'string' ? [value] : value) params.append(name, item);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The REST helpers, bound to one file's wire. */
export function restOn({ send }: Pick<Transport, 'send'>) {
  /** `METHOD /api/v1<path>`; a body goes as JSON unless a content type is given. */
  function rest(method: string, path: string, call: RestCall = {}): Promise<Reply> {
    const headers = headersFor(call);
    let body: string | undefined;
    if (call.body !== undefined) {
      body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
      headers['content-type'] ??= 'application/json';
    }
    return send(`/api/v1${path}${queryString(call.query)}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  }

  return { rest };
}

/** Asserts a REST error answer `{error: {code, message}}` with this status and code. */
export function expectRestError(reply: Reply, status: number, code: string) {
  expect(reply.status, `${status} expected: ${reply.text.slice(0, 300)}`).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.json).toMatchObject({ error: { code, message: expect.any(String) } });
  return (reply.json as { error: { code: string; message: string; fieldErrors?: object } }).error;
}
