import { createClient } from '@trellis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/support/server.js';
import { exchange, type RawReply, request, type Target, targetOf } from './support/raw-http.js';

// Protocol abuse against a real server, over raw sockets: malformed URL encoding, wrong
// content types, duplicate query keys, oversized URLs and headers, invalid UTF-8, broken
// bodies, odd HTTP versions and methods, on both /trpc and the REST API, anonymous and
// signed in. Every answer must be a 4xx (or, for bytes that are not HTTP at all, Node's
// own 400 and a closed connection), never a 5xx, and the server must answer a normal
// request after each one.

/** What a case accepts: any 4xx, one exact status, or (valid requests) 2xx/4xx. */
type Expect = '4xx' | number | 'not-5xx';

interface Case {
  name: string;
  bytes: (auth: Record<string, string>) => Buffer | readonly Buffer[];
  expect: Expect;
  /** Half-close after writing (a client that gives up on its body). */
  end?: boolean;
  /** Read every answer until the server closes (pipelined bytes answer twice). */
  untilClose?: boolean;
}

const BODY_LIMIT = 64 * 1024;
const json = { 'Content-Type': 'application/json' };
const list = '/trpc/workspaces.list';
const create = '/trpc/workspaces.create';
const restList = '/api/v1/workspaces';
const restCreate = '/api/v1/workspaces';
const good = JSON.stringify({ name: 'Abuse', slug: 'abuse' });
const get1 = '/trpc/workspaces.get';
const input = (value: string) => `${get1}?input=${value}`;
const get = (path: string) => (auth: Record<string, string>) => request('GET', path, auth);
const post =
  (path: string, headers: Record<string, string>, body?: string | Buffer) =>
  (auth: Record<string, string>) =>
    request('POST', path, { ...auth, ...headers }, body);
const raw = (text: string) => () => Buffer.from(text, 'latin1');
const utf8Bad = Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]); // invalid sequences

const CASES: Case[] = [
  // Malformed percent-encoding, in the path and in the query.
  { name: 'trpc path %zz', bytes: get('/trpc/%zz'), expect: '4xx' },
  { name: 'trpc path lone %', bytes: get('/trpc/%'), expect: '4xx' },
  { name: 'trpc path %E0%A4%A', bytes: get('/trpc/%E0%A4%A'), expect: '4xx' },
  { name: 'trpc input=%zz', bytes: get(input('%zz')), expect: '4xx' },
  { name: 'trpc input=%', bytes: get(input('%')), expect: '4xx' },
  { name: 'trpc input=%E0%A4%A', bytes: get(input('%E0%A4%A')), expect: '4xx' },
  { name: 'trpc input=%FF', bytes: get(input('%FF')), expect: '4xx' },
  // A procedure without input never reads `input`: tRPC ignores it.
  { name: 'trpc input=%zz (no-input query)', bytes: get(`${list}?input=%zz`), expect: 'not-5xx' },
  { name: 'rest path %zz', bytes: get('/api/v1/workspaces/%zz'), expect: '4xx' },
  { name: 'rest path %E0%A4%A', bytes: get('/api/v1/workspaces/%E0%A4%A'), expect: '4xx' },
  { name: 'rest query %', bytes: get('/api/v1/workspaces?x=%'), expect: 'not-5xx' },
  {
    name: 'rest query limit=%FF',
    bytes: get('/api/v1/workspaces/x/tasks?limit=%FF'),
    expect: '4xx',
  },
  // Bodies that are not JSON.
  {
    name: 'trpc POST text/plain',
    bytes: post(create, { 'Content-Type': 'text/plain' }, good),
    expect: 415,
  },
  {
    name: 'trpc POST form-urlencoded',
    bytes: post(create, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'name=a&slug=b'),
    expect: 415,
  },
  {
    name: 'trpc POST multipart',
    bytes: post(
      create,
      { 'Content-Type': 'multipart/form-data; boundary=X' },
      '--X\r\nContent-Disposition: form-data; name="name"\r\n\r\na\r\n--X--\r\n',
    ),
    // tRPC takes multipart form data as an input (FormData): validation answers 400.
    expect: '4xx',
  },
  { name: 'trpc POST no content type', bytes: post(create, {}, good), expect: 415 },
  {
    name: 'trpc POST application/xml',
    bytes: post(create, { 'Content-Type': 'application/xml' }, '<a/>'),
    expect: 415,
  },
  {
    name: 'rest POST text/plain',
    bytes: post(restCreate, { 'Content-Type': 'text/plain' }, good),
    expect: 415,
  },
  {
    name: 'rest POST form-urlencoded',
    bytes: post(restCreate, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'name=a'),
    expect: 415,
  },
  {
    name: 'rest POST multipart',
    bytes: post(restCreate, { 'Content-Type': 'multipart/form-data; boundary=X' }, '--X--\r\n'),
    expect: 415,
  },
  { name: 'rest POST no content type', bytes: post(restCreate, {}, good), expect: 415 },
  // Duplicate query keys.
  {
    name: 'trpc input=a&input=b',
    bytes: get(`${get1}?input=%7B%7D&input=%7B%22a%22%3A1%7D`),
    expect: '4xx',
  },
  {
    name: 'trpc batch=1&batch=1',
    bytes: get(`${get1}?batch=1&batch=1&input=%7B%7D`),
    expect: '4xx',
  },
  {
    name: 'rest limit=1&limit=2',
    bytes: get('/api/v1/workspaces/x/tasks?limit=1&limit=2'),
    expect: '4xx',
  },
  // Oversized URL and headers.
  { name: '100 KB URL (trpc)', bytes: get(input('a'.repeat(100 * 1024))), expect: '4xx' },
  {
    name: '100 KB URL (rest)',
    bytes: get(`${restList}?q=${'a'.repeat(100 * 1024)}`),
    expect: '4xx',
  },
  {
    name: '10,000 headers',
    bytes: (auth) =>
      request('GET', list, {
        ...auth,
        ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`x-h${i}`, '1'])),
      }),
    expect: '4xx',
  },
  {
    name: 'one 64 KB header',
    bytes: (auth) => request('GET', list, { ...auth, 'x-big': 'a'.repeat(64 * 1024) }),
    expect: '4xx',
  },
  // Invalid UTF-8 (raw bytes, not percent-encoded).
  {
    name: 'invalid UTF-8 in path',
    bytes: raw(`GET /trpc/\xff\xfe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
    expect: '4xx',
  },
  {
    name: 'invalid UTF-8 in query',
    bytes: raw(`GET ${list}?input=\xff\xfe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
    expect: '4xx',
  },
  {
    name: 'invalid UTF-8 in rest path',
    bytes: raw(`GET /api/v1/workspaces/\xc3\x28 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
    expect: '4xx',
  },
  {
    name: 'invalid UTF-8 in header values',
    bytes: (auth) =>
      request('GET', list, {
        ...auth,
        'X-Weird': '\xff\xfe\xc3\x28',
        Cookie: 'trellis_session=\xff\xfe',
        Origin: 'http://\xff',
      }),
    // Legal bytes (obs-text) in headers the server does not need: ignored.
    expect: 'not-5xx',
  },
  {
    name: 'invalid UTF-8 in bearer token',
    bytes: () => request('GET', list, { Authorization: 'Bearer \xff\xfe\xc3\x28' }),
    expect: '4xx',
  },
  {
    name: 'invalid UTF-8 in trpc JSON body',
    bytes: post(
      create,
      json,
      Buffer.concat([Buffer.from('{"name":"'), utf8Bad, Buffer.from('","slug":"x1"}')]),
    ),
    // Refused before anything reads it (src/trpc/utf8-body.ts), signed in or not.
    expect: 400,
  },
  {
    name: 'invalid UTF-8 in rest JSON body',
    bytes: post(
      restCreate,
      json,
      Buffer.concat([Buffer.from('{"name":"'), utf8Bad, Buffer.from('","slug":"x2"}')]),
    ),
    expect: 400,
  },
  // Broken bodies.
  // Anonymous: 401, since authentication runs before the input is read.
  { name: 'trpc invalid JSON', bytes: post(create, json, '{"name":'), expect: '4xx' },
  { name: 'rest invalid JSON', bytes: post(restCreate, json, '{"name":'), expect: 400 },
  { name: 'trpc JSON null', bytes: post(create, json, 'null'), expect: '4xx' },
  {
    name: 'trpc __proto__ body',
    bytes: post(create, json, '{"__proto__":{"admin":true},"name":"a","slug":"pp"}'),
    expect: '4xx',
  },
  {
    name: 'trpc constructor key',
    bytes: post(create, json, '{"constructor":1,"name":"a","slug":"pc"}'),
    expect: '4xx',
  },
  {
    name: 'truncated body (shorter than Content-Length, then half-close)',
    bytes: post(create, { ...json, 'Content-Length': '100' }, '{"name":"a"'),
    expect: '4xx',
    end: true,
  },
  {
    name: 'body longer than Content-Length',
    bytes: post(create, { ...json, 'Content-Length': '10' }, `${good}GARBAGE NOT HTTP\r\n\r\n`),
    expect: '4xx',
    untilClose: true,
  },
  {
    name: `chunked body over the limit (${BODY_LIMIT / 1024} KB)`,
    bytes: (auth) => {
      const head = request('POST', create, { ...auth, ...json, 'Transfer-Encoding': 'chunked' });
      const chunk = Buffer.from(`${(16 * 1024).toString(16)}\r\n${'a'.repeat(16 * 1024)}\r\n`);
      return [head, ...Array.from({ length: 8 }, () => chunk), Buffer.from('0\r\n\r\n')];
    },
    expect: 413,
  },
  {
    name: 'Content-Length over the limit',
    bytes: post(create, json, `"${'a'.repeat(BODY_LIMIT + 10)}"`),
    expect: 413,
  },
  {
    name: 'rest Content-Length over the limit',
    bytes: post(restCreate, json, `"${'a'.repeat(BODY_LIMIT + 10)}"`),
    expect: 413,
  },
  {
    name: 'Content-Length and chunked together',
    bytes: post(
      create,
      { ...json, 'Transfer-Encoding': 'chunked', 'Content-Length': '5' },
      '0\r\n\r\n',
    ),
    expect: '4xx',
  },
  {
    name: 'negative Content-Length',
    bytes: post(create, { ...json, 'Content-Length': '-1' }, ''),
    expect: '4xx',
  },
  // HTTP versions and methods.
  { name: 'HTTP/1.0 GET /healthz', bytes: raw('GET /healthz HTTP/1.0\r\n\r\n'), expect: 'not-5xx' },
  { name: 'HTTP/1.0 trpc query', bytes: raw(`GET ${list} HTTP/1.0\r\n\r\n`), expect: '4xx' },
  // Node's parser takes any one-digit version pair; /healthz answers.
  {
    name: 'HTTP/2.0 request line',
    bytes: raw('GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n'),
    expect: 'not-5xx',
  },
  {
    name: 'HTTP/9.9 request line',
    bytes: raw('GET /healthz HTTP/9.9\r\nHost: a\r\n\r\n'),
    expect: '4xx',
  },
  {
    name: 'no Host (HTTP/1.1)',
    bytes: raw(`GET ${list} HTTP/1.1\r\nConnection: close\r\n\r\n`),
    expect: '4xx',
  },
  { name: 'garbage request line', bytes: raw('\x00\x01\x02 hello\r\n\r\n'), expect: '4xx' },
  { name: 'method BREW', bytes: (auth) => request('BREW', list, auth), expect: '4xx' },
  { name: 'method PROPFIND', bytes: (auth) => request('PROPFIND', list, auth), expect: '4xx' },
  { name: 'method TRACE', bytes: (auth) => request('TRACE', list, auth), expect: 405 },
  { name: 'method TRACE (rest)', bytes: (auth) => request('TRACE', restList, auth), expect: '4xx' },
  {
    name: 'method CONNECT',
    bytes: raw('CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: a\r\n\r\n'),
    expect: '4xx',
  },
  { name: 'method get (lower case)', bytes: (auth) => request('get', list, auth), expect: '4xx' },
  { name: 'method PUT on trpc', bytes: post(create, json, good), expect: 'not-5xx' },
  { name: 'method DELETE on trpc', bytes: (auth) => request('DELETE', list, auth), expect: '4xx' },
  {
    name: 'method PATCH on rest list',
    bytes: (auth) => request('PATCH', restList, { ...auth, ...json }, '{}'),
    expect: '4xx',
  },
  {
    name: 'method of 10 KB',
    bytes: (auth) => request('X'.repeat(10 * 1024), list, auth),
    expect: '4xx',
  },
];
// PUT is what it says: the "method PUT" case sends PUT, not POST.
const putCase = CASES.find((c) => c.name === 'method PUT on trpc');
if (putCase) putCase.bytes = (auth) => request('PUT', create, { ...auth, ...json }, good);

function accepts(expected: Expect, reply: RawReply): boolean {
  const statuses = reply.statuses.length > 0 ? reply.statuses : [];
  if (statuses.some((status) => status >= 500)) return false;
  if (reply.status === null) return reply.closed; // closed without an answer: recorded
  if (expected === 'not-5xx') return true;
  if (expected === '4xx') return reply.status >= 400 && reply.status < 500;
  return reply.status === expected;
}

function describeReply(reply: RawReply): string {
  if (reply.timedOut) return 'no answer (timed out)';
  if (reply.status === null) return 'closed without an answer';
  const all = reply.statuses.length > 1 ? ` (then ${reply.statuses.slice(1).join(', ')})` : '';
  return `${reply.status}${all}${reply.closed ? ', closed' : ''}`;
}

let server: TestServer;
let target: Target;
let token = '';
const table: { who: string; name: string; result: string }[] = [];

beforeAll(async () => {
  server = await startTestServer({ bodyLimitBytes: BODY_LIMIT });
  target = targetOf(server.url);
  const { session } = await createClient({ url: server.url }).auth.signUp.mutate({
    email: 'protocol@example.com',
    password: 'correct horse battery staple',
    name: 'Prot',
  });
  token = session.token;
});

afterAll(async () => {
  await server?.close();
});

async function healthy(): Promise<number | null> {
  const reply = await exchange(target, request('GET', '/healthz'), { timeoutMs: 5000 });
  return reply.status;
}

describe('protocol abuse', () => {
  const started = performance.now();
  for (const who of ['anonymous', 'signed in'] as const) {
    it(`answers every malformed request with a 4xx, never a 5xx (${who})`, async () => {
      const auth: Record<string, string> =
        who === 'anonymous' ? {} : { Authorization: `Bearer ${token}` };
      const failures: string[] = [];
      for (const testCase of CASES) {
        const reply = await exchange(target, testCase.bytes(auth), {
          timeoutMs: 10_000,
          end: testCase.end,
          untilClose: testCase.untilClose,
        });
        const result = describeReply(reply);
        table.push({ who, name: testCase.name, result });
        if (!accepts(testCase.expect, reply)) {
          failures.push(
            `${testCase.name}: expected ${testCase.expect}, got ${result} ${reply.body.slice(0, 200)}`,
          );
        }
        const health = await healthy();
        if (health !== 200) failures.push(`after ${testCase.name}: /healthz answered ${health}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('still creates a workspace normally afterwards', async () => {
    const reply = await exchange(
      target,
      request('POST', create, { ...json, Authorization: `Bearer ${token}` }, good),
    );
    expect(reply.status, reply.body).toBe(200);
    const counts = new Map<string, number>();
    for (const row of table) {
      const status = row.result.split(/[ ,]/)[0] ?? '';
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    const width = Math.max(...CASES.map((c) => c.name.length));
    const lines = CASES.map((c) => {
      const [anonymous, signedIn] = ['anonymous', 'signed in'].map(
        (who) => table.find((row) => row.who === who && row.name === c.name)?.result ?? '-',
      );
      return `  ${c.name.padEnd(width)}  ${anonymous?.padEnd(28)}  ${signedIn}`;
    });
    console.log(
      `protocol cases (anonymous | signed in):\n${lines.join('\n')}\n` +
        `PROTOCOL SUMMARY: ${CASES.length} cases x 2 callers = ${table.length} requests; ` +
        `statuses ${[...counts].map(([s, n]) => `${s}:${n}`).join(' ')}; 5xx: 0; ` +
        `/healthz 200 after every case; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
