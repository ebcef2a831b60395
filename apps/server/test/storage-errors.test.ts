import { createClient } from '@trellis/client';
import { testDatabaseDialect } from '@trellis/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

// A database that cannot write is the operator's to fix, not a bug: writes answer 503
// SERVICE_UNAVAILABLE saying why (over /trpc and REST), reads keep working, and writes work
// again as soon as space returns, without a restart. A real full database, no mount:
// SQLite's `max_page_count` caps the file at its current size, so the next write that
// needs a page fails with SQLITE_FULL exactly as on a full disk (reliability/disk.test.ts
// does the real disk).

let server: TestServer;
let token: string;
let projectId: string;

/** Caps the database at its current size (0 lifts the cap: SQLite's default maximum). */
async function capPages(cap: 'now' | 'lift'): Promise<void> {
  const count = await sql<{ page_count: number }>`pragma page_count`.execute(server.db);
  const pages = cap === 'now' ? (count.rows[0]?.page_count ?? 1) : 4_294_967_294;
  await sql.raw(`pragma max_page_count = ${pages}`).execute(server.db);
}

async function createTask(title: string, via: 'trpc' | 'rest') {
  const response =
    via === 'trpc'
      ? await fetch(`${server.url}/trpc/tasks.create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          // A long description fills pages quickly.
          body: JSON.stringify({ projectId, title, description: 'x'.repeat(3000) }),
        })
      : await fetch(`${server.url}/api/v1/projects/${projectId}/tasks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ title, description: 'x'.repeat(3000) }),
        });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Creates tasks until one is refused; returns the refusal (bounded: the cap is tight). */
async function createUntilRefused(via: 'trpc' | 'rest') {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const answer = await createTask(`${via} ${attempt}`, via);
    if (answer.status !== 200 && answer.status !== 201) return answer;
  }
  throw new Error('the capped database kept taking writes');
}

describe.skipIf(testDatabaseDialect() !== 'sqlite')('a database that cannot write', () => {
  beforeAll(async () => {
    server = await startTestServer();
    const { session } = await createClient({ url: server.url }).auth.signUp.mutate({
      email: 'full@example.com',
      password: 'correct horse battery staple',
      name: 'Full',
    });
    token = session.token;
    const client = createClient({ url: server.url, token });
    const workspace = await client.workspaces.create.mutate({ name: 'Full', slug: 'full' });
    projectId = (
      await client.projects.create.mutate({ workspaceId: workspace.id, name: 'Full', key: 'FULL' })
    ).id;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers writes 503 "disk is full" over /trpc, keeps reads, and recovers', async () => {
    await capPages('now');

    const refused = await createUntilRefused('trpc');

    expect(refused).toEqual({
      status: 503,
      body: {
        error: {
          code: -32603, // tRPC's JSON-RPC number for every 5xx
          message: 'The database cannot write: its disk is full',
          data: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 }),
        },
      },
    });
    const read = await fetch(
      `${server.url}/trpc/projects.get?input=${encodeURIComponent(JSON.stringify({ projectId }))}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(read.status).toBe(200);

    await capPages('lift');
    expect((await createTask('after', 'trpc')).status).toBe(200);
  });

  it('answers writes 503 over REST too', async () => {
    await capPages('now');

    const refused = await createUntilRefused('rest');

    expect(refused).toEqual({
      status: 503,
      body: {
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'The database cannot write: its disk is full',
        },
      },
    });
    await capPages('lift');
    expect((await createTask('after rest', 'rest')).status).toBe(201);
  });
});
