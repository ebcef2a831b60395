import { createClient, type TrellisClient } from '@trellis/client';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MainProcess, startMainProcess } from '../src/test/main-process.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

// Two server processes (the built bundle) on one database, the dialect under test, each
// running its delivery worker: an endpoint is claimed by one process at a time (PostgreSQL:
// FOR UPDATE SKIP LOCKED; SQLite: its one writer), so with no crash every event reaches
// the receiver exactly once, in log order, whichever process wrote it.

let database: TestDatabase;
let processes: MainProcess[] = [];
let urls: string[] = [];
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    MIGRATE_ON_START: 'false',
    WEBHOOK_ALLOW_PRIVATE: 'true',
  };
  processes = [startMainProcess(env), startMainProcess(env)];
  urls = await Promise.all(processes.map((process) => process.listening));
});

afterAll(async () => {
  const codes = await Promise.all(processes.map((process) => process.stop()));
  await database?.destroy();
  await receiver?.close();
  expect(codes).toEqual([0, 0]);
});

async function owner(url: string): Promise<TrellisClient> {
  const { session } = await createClient({ url }).auth.signUp.mutate({
    email: `two-${process.pid}@example.com`,
    password: 'correct horse battery staple',
    name: 'Two',
  });
  return createClient({ url, token: session.token });
}

describe('webhooks from two processes', () => {
  it('deliver each event once, in log order', async () => {
    const [a, b] = urls as [string, string];
    const clientA = await owner(a);
    const { id: workspaceId } = await clientA.workspaces.create.mutate({
      name: 'Two',
      slug: 'two',
    });
    const { id: projectId } = await clientA.projects.create.mutate({
      workspaceId,
      name: 'Two',
      key: 'TWO',
    });
    const { secret } = await clientA.webhooks.create.mutate({
      workspaceId,
      url: receiver.url,
      events: ['task.created'],
    });
    receiver.secrets.push(secret);
    // The same session on B (sessions live in the database).
    const session = await createClient({ url: a }).auth.signIn.mutate({
      email: `two-${process.pid}@example.com`,
      password: 'correct horse battery staple',
    });
    const clientB = createClient({ url: b, token: session.session.token });

    const TASKS = 60;
    const writers = [clientA, clientB];
    // Four writers at a time, alternating processes.
    for (let start = 0; start < TASKS; start += 4) {
      await Promise.all(
        [0, 1, 2, 3].map((offset) =>
          writers[(start + offset) % 2]?.tasks.create.mutate({
            projectId,
            title: `task ${start + offset}`,
          }),
        ),
      );
    }
    await receiver.until((all) => all.length >= TASKS, 60_000);

    const logged = [];
    let after: string | undefined;
    for (;;) {
      const page = await clientA.events.list.query({ workspaceId, after, types: ['task.created'] });
      logged.push(...page.items.map((event) => event.id));
      if (!page.hasMore) break;
      after = page.items.at(-1)?.id;
    }
    expect(logged).toHaveLength(TASKS);
    // Every delivery row is written once its answer came: wait for the last ones.
    const [webhook] = await clientA.webhooks.list.query({ workspaceId });
    const deliveries = async () => {
      const rows = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await clientA.webhooks.deliveries.query({
          webhookId: webhook?.id ?? '',
          cursor,
          limit: 100,
        });
        rows.push(...page.items);
        if (page.nextCursor === null) return rows;
        cursor = page.nextCursor;
      }
    };
    let rows = await deliveries();
    while (rows.length < TASKS) {
      // Not a deadline: the test's own timeout bounds the wait; this only paces the reads.
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = await deliveries();
    }
    expect(rows.every((row) => row.outcome === 'delivered' && row.attempt === 1)).toBe(true);
    expect(new Set(rows.map((row) => row.eventId)).size).toBe(TASKS);
    expect(rows).toHaveLength(TASKS);
    expect(receiver.received.map((r) => r.id)).toEqual(logged);
  });
});
