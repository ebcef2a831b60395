// What the raw-HTTP contract tests (contract.test.ts, domain-contract.test.ts) read off the
// wire: tRPC's envelopes, spelled out here rather than imported from the API's code, and
// the assertions on them.
import { expect } from 'vitest';

export interface ErrorData {
  code: string;
  httpStatus: number;
  path?: string;
  fieldErrors?: Record<string, string[]>;
}

export interface ErrorShape {
  message: string;
  code: number;
  data: ErrorData;
}

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface AuthResult {
  user: User;
  session: { token: string; expiresAt: string };
}

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  role: string;
}

/** One HTTP exchange as the tests see it. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** tRPC's JSON-RPC numbers for each error code, as they appear in `error.code`. */
export const RPC_CODES: Record<string, number> = {
  PARSE_ERROR: -32700,
  BAD_REQUEST: -32600,
  UNAUTHORIZED: -32001,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  METHOD_NOT_SUPPORTED: -32005,
  CONFLICT: -32009,
  PAYLOAD_TOO_LARGE: -32013,
  UNSUPPORTED_MEDIA_TYPE: -32015,
};

export const PASSWORD = 'correct horse battery staple';

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Asserts a single-call success and returns `result.data`. */
export function dataOf<T>(reply: Reply): T {
  expect(reply.status, reply.text.slice(0, 500)).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  const body = reply.json;
  if (!isRecord(body) || !isRecord(body.result) || !('data' in body.result)) {
    throw new Error(`not a tRPC success body: ${reply.text}`);
  }
  return body.result.data as T;
}

/** Asserts an error envelope `{error:{message,code,data:{code,httpStatus}}}` inside `value`. */
export function errorIn(value: unknown, status: number, code: string): ErrorShape {
  if (!isRecord(value) || !isRecord(value.error)) {
    throw new Error(`not an error body: ${JSON.stringify(value)}`);
  }
  const error = value.error as unknown as ErrorShape;
  expect(typeof error.message).toBe('string');
  expect(error.data.code).toBe(code);
  expect(error.data.httpStatus).toBe(status);
  expect(error.code).toBe(RPC_CODES[code]);
  expect(JSON.stringify(error)).not.toMatch(/stack|at .*\.ts:\d+/);
  return error;
}

/** Asserts an error reply with this HTTP status and tRPC code, and returns its `error`. */
export function expectError(reply: Reply, status: number, code: string): ErrorShape {
  expect(reply.status, reply.text.slice(0, 500)).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  return errorIn(reply.json, status, code);
}
