// What the raw-HTTP tests read off the wire: tRPC's envelopes and the assertions on them.
// The procedures' own types come from @trellis/client as types only, so these tests still
// speak plain HTTP and load none of the API's code.
import type {
  TaskChange as ClientTaskChange,
  RouterOutputs,
  TrellisErrorData,
} from '@trellis/client';
import { expect } from 'vitest';

/** The `error` member of a tRPC error body. */
export interface ErrorShape {
  message: string;
  code: number;
  data: TrellisErrorData;
}

/** auth.signUp's answer: the user and their new session. */
export type AuthResult = RouterOutputs['auth']['signUp'];
export type User = AuthResult['user'];
export type Me = RouterOutputs['auth']['me'];
export type Workspace = RouterOutputs['workspaces']['create'];
export type Project = RouterOutputs['projects']['create'];
export type Task = RouterOutputs['tasks']['create'];
export type TaskStatus = Task['status'];
export type TaskPage = RouterOutputs['tasks']['list'];
export type Comment = RouterOutputs['comments']['create'];
export type CommentPage = RouterOutputs['comments']['list'];
export type ActivityPage = RouterOutputs['activity']['list'];
export type ActivityEntry = ActivityPage['items'][number];
export type SearchResult = RouterOutputs['search']['tasks'];
export type StatsOverview = RouterOutputs['stats']['overview'];
/** What tasks.onChange sends in each event's `data:` line. */
export type TaskChange = ClientTaskChange['data'];

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
  TOO_MANY_REQUESTS: -32029,
  // tRPC numbers every 5xx code alike.
  SERVICE_UNAVAILABLE: -32603,
};

export const PASSWORD = 'correct horse battery staple';

/** How every timestamp of the API is written: ISO 8601 in UTC with milliseconds. */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

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

/** Asserts a 400 whose field errors name exactly `fields`. */
export function expectFieldErrors(reply: Reply, fields: string[]): Record<string, string[]> {
  const error = expectError(reply, 400, 'BAD_REQUEST');
  const fieldErrors = error.data.fieldErrors ?? {};
  expect(Object.keys(fieldErrors).sort()).toEqual([...fields].sort());
  for (const field of fields) expect(fieldErrors[field]).toEqual([expect.any(String)]);
  return fieldErrors;
}

/** The Set-Cookie values of a reply for the session cookie. */
export function sessionCookies(reply: Reply): string[] {
  return reply.headers.getSetCookie().filter((value) => value.startsWith('trellis_session='));
}
