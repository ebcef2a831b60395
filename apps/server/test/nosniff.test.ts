// Every answer says `X-Content-Type-Options: nosniff`, so that a browser never reads one as
// anything but the type it carries (a JSON answer holding user text guessed to be HTML or
// a script). Checked over raw HTTP on every kind of route the server has, and its errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { within } from './support/subscription.js';
import { PASSWORD } from './support/wire.js';

let server: TestServer;
let dashboardDir: string;
let token: string;
let workspaceId: string;

beforeAll(async () => {
  dashboardDir = mkdtempSync(join(tmpdir(), 'trellis-nosniff-'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>Trellis</title>');
  server = await startTestServer({ dashboardDir, maxStreamsPerUser: 1, bodyLimitBytes: 4096 });
  const signUp = await fetch(`${server.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'sniff@example.com', password: PASSWORD, name: 'Ada' }),
  });
  token = ((await signUp.json()) as { result: { data: { session: { token: string } } } }).result
    .data.session.token;
  const created = await fetch(`${server.url}/trpc/workspaces.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'Acme', slug: 'acme' }),
  });
  workspaceId = ((await created.json()) as { result: { data: { id: string } } }).result.data.id;
});
afterAll(async () => {
  await server?.close();
  rmSync(dashboardDir, { recursive: true, force: true });
});

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** One request over node:http, which sends the path and headers exactly as given. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Exchange> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const bearer = () => ({ authorization: `Bearer ${token}` });
const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

describe('X-Content-Type-Options: nosniff', () => {
  it.each<[string, () => Promise<Exchange>, number]>([
    ['a tRPC query', () => raw('GET', '/trpc/auth.me', bearer()), 200],
    ['a tRPC batch', () => raw('GET', '/trpc/auth.me,workspaces.list?batch=1', bearer()), 200],
    [
      'a tRPC mutation',
      () => raw('POST', '/trpc/workspaces.create', { ...json, ...bearer() }, '{}'),
      400,
    ],
    ['a tRPC error (not signed in)', () => raw('GET', '/trpc/auth.me'), 401],
    ['an unknown procedure', () => raw('GET', '/trpc/no.such'), 404],
    [
      'a request tRPC answers itself (no content type)',
      () => raw('POST', '/trpc/auth.signOut', bearer(), '{}'),
      415,
    ],
    ['TRACE', () => raw('TRACE', '/trpc/auth.me'), 405],
    [
      'a batch over the limit',
      () => raw('GET', `/trpc/${Array(51).fill('auth.me').join(',')}?batch=1`),
      413,
    ],
    ['a twice-encoded path', () => raw('GET', '/trpc/auth%252Eme'), 400],
    ['a malformed URL', () => raw('GET', '/trpc/auth.me%E0%A4%A'), 400],
    [
      'a body over the limit',
      () => raw('POST', '/trpc/auth.signIn', json, JSON.stringify({ email: 'x'.repeat(5000) })),
      413,
    ],
    ['a REST answer', () => raw('GET', '/api/v1/me', bearer()), 200],
    ['a REST error', () => raw('GET', '/api/v1/me'), 401],
    ['the OpenAPI document', () => raw('GET', '/api/openapi.json'), 200],
    ['the API docs page', () => raw('GET', '/api/docs'), 200],
    ['an unknown API route', () => raw('GET', '/api/v1/nothing/here'), 404],
    ['/healthz', () => raw('GET', '/healthz'), 200],
    ['/readyz', () => raw('GET', '/readyz'), 200],
    ['/metrics', () => raw('GET', '/metrics'), 200],
    ['/metrics refused', () => raw('GET', '/metrics', { 'x-real-ip': '203.0.113.9' }), 404],
    ['the OAuth provider list', () => raw('GET', '/auth/oauth'), 200],
    ['the dashboard', () => raw('GET', '/', { accept: 'text/html' }), 200],
    ['a missing dashboard asset', () => raw('GET', '/assets/gone.js'), 404],
  ])('on %s', async (_what, exchange, status) => {
    const { status: got, headers } = await exchange();

    expect(got).toBe(status);
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('on a live stream, and on the 429 that refuses one over the cap', async () => {
    const path = `/trpc/tasks.onChange?input=${input({ workspaceId })}`;
    const headers = { ...bearer(), accept: 'text/event-stream' };
    const abort = new AbortController();
    try {
      const stream = await fetch(`${server.url}${path}`, { headers, signal: abort.signal });
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
      if (stream.body) await within(stream.body.getReader().read(), 'the connected event');

      const refused = await raw('GET', path, headers);
      expect(refused.status).toBe(429);
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      abort.abort();
    }
  });

  it('on a request the HTTP parser refuses before any route sees it', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });

    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer.toLowerCase()).toContain('x-content-type-options: nosniff');
  });
});
