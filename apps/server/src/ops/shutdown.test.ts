import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { createClient } from '@trellis/client';
import { createTestDatabase, type TestDatabase, testDatabaseDialect } from '@trellis/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type MainProcess, startMainProcess } from '../test/main-process.js';

// SIGTERM to a real server process (dist/main.js): it stops accepting connections, lets the
// request in flight finish, ends live streams with a retry hint, and exits 0 — or 1 when
// the deadline forced connections closed.

const databases: TestDatabase[] = [];
const processes: MainProcess[] = [];
afterEach(async () => {
  for (const process of processes.splice(0)) process.child.kill('SIGKILL');
  for (const database of databases.splice(0)) await database.destroy();
});

async function startServer(env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  databases.push(database);
  // The server process is the database's only user (its close is observable on SQLite).
  await database.db.destroy();
  const server = startMainProcess({ DATABASE_URL: database.url, ...env });
  processes.push(server);
  return { server, url: await server.listening, database };
}

/**
 * A sign-up whose JSON body the client sends in two parts: `finish()` sends the rest and
 * resolves with the raw HTTP response (on a connection of its own, opened now).
 */
function slowSignUp(url: string, email: string) {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ email, password: 'correct horse battery staple', name: 'Slow' });
  const half = Math.floor(body.length / 2);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const closed = new Promise<string>((resolve, reject) => {
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
  const sent = new Promise<void>((resolve) => {
    socket.write(
      `POST /trpc/auth.signUp HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nX-Slow-Sign-Up: ${email}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      () => resolve(),
    );
  });
  return {
    sent,
    received: () => received,
    closed,
    finish(): Promise<string> {
      socket.write(body.slice(half));
      return closed;
    },
  };
}

/** GET on a new connection: the status, or the error code if the connection fails. */
function getOnNewConnection(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error: Error & { code?: string }) => resolve(error.code ?? error.message));
    request.end();
  });
}

/** Waits until `output()` contains `text`. */
async function printed(server: MainProcess, text: string) {
  await expect.poll(() => server.output()).toContain(text);
}

/**
 * Waits until the server has logged the slow sign-up for `email` as begun (its headers read,
 * the body still coming): a signal sent before that finds no request in flight to wait for.
 */
async function begun(server: MainProcess, email: string) {
  const header = `"x-slow-sign-up":"${email}"`;
  await expect
    .poll(() =>
      server
        .output()
        .split('\n')
        .some((line) => line.includes('"incoming request"') && line.includes(header)),
    )
    .toBe(true);
}

describe('graceful shutdown on SIGTERM', () => {
  it('finishes the request in flight, refuses new connections, ends live streams with a retry hint, exits 0', async () => {
    const { server, url, database } = await startServer();
    const { session } = await createClient({ url }).auth.signUp.mutate({
      email: 'live@example.com',
      password: 'correct horse battery staple',
      name: 'Live',
    });
    const client = createClient({ url, token: session.token });
    const workspace = await client.workspaces.create.mutate({ name: 'Live', slug: 'live' });
    // A live stream, read as raw server-sent events.
    const input = encodeURIComponent(JSON.stringify({ workspaceId: workspace.id }));
    const stream = await fetch(`${url}/trpc/tasks.onChange?input=${input}`, {
      headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' },
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const streamText = stream.text();
    // A request in flight: its body is only half sent.
    const slow = slowSignUp(url, 'slow@example.com');
    await slow.sent;
    await begun(server, 'slow@example.com');

    server.child.kill('SIGTERM');
    await printed(server, 'SIGTERM: finishing in-flight requests');

    // The listener is closed at once: no probe (or anything else) gets in any more.
    await expect.poll(() => getOnNewConnection(`${url}/readyz`)).toBe('ECONNREFUSED');
    // The live stream was told when to reconnect, and ended.
    const events = await streamText;
    expect(events).toMatch(/\nretry: 1000\n\n$/);
    // Still waiting for the slow request: nothing has cut it.
    expect(server.child.exitCode).toBeNull();
    expect(slow.received()).toBe('');

    const response = await slow.finish();
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response).toContain('"email":"slow@example.com"');
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(await server.exited).toBe(0);
    if (testDatabaseDialect() === 'sqlite') {
      // The database was closed, not abandoned: closing the last connection folds the
      // write-ahead log into the file and deletes it.
      expect(existsSync(`${database.url.slice('file:'.length)}-wal`)).toBe(false);
    }
  });

  it('with WORKERS=2, each worker finishes its requests in flight and the primary exits 0', async () => {
    const { server, url } = await startServer({ WORKERS: '2' });
    await expect.poll(() => server.output().match(/Server listening/g)?.length).toBe(2);
    const slow = [slowSignUp(url, 'w1@example.com'), slowSignUp(url, 'w2@example.com')];
    await Promise.all(slow.map((request) => request.sent));
    await begun(server, 'w1@example.com');
    await begun(server, 'w2@example.com');

    server.child.kill('SIGTERM');
    await expect
      .poll(() => server.output().match(/shutdown request from the primary/g)?.length ?? 0)
      .toBe(2);
    await expect.poll(() => getOnNewConnection(`${url}/healthz`)).toBe('ECONNREFUSED');

    const responses = await Promise.all(slow.map((request) => request.finish()));
    for (const response of responses) expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await server.exited).toBe(0);
  });

  it('cuts requests still running at SHUTDOWN_TIMEOUT_MS, and exits 1', async () => {
    const { server, url } = await startServer({ SHUTDOWN_TIMEOUT_MS: '300' });
    const slow = slowSignUp(url, 'never@example.com');
    await slow.sent;
    await begun(server, 'never@example.com');

    const signalled = Date.now();
    server.child.kill('SIGTERM');

    expect(await server.exited).toBe(1);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(300);
    expect(await slow.closed).toBe('');
    expect(server.output()).toContain('requests still running after 300 ms');
  });
});
