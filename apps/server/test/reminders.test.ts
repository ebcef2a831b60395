import { createClient, type TrellisClient } from '@trellis/client';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MainProcess, startMainProcess } from '../src/test/main-process.js';
import { type Mailbox, startMailbox, tokenFromLink } from './support/mailbox.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

// Due-date reminders and email digests from the built server, over HTTP, on one database
// (the dialect under test) shared by the processes this file starts: a reminder fires once
// per task and due date across a restart and across two processes running their schedulers
// at once, a new due date re-arms it, and the digest reaches a real SMTP server with an
// unsubscribe link that works without signing in. Each wait is for an event (a webhook, a
// mail); "nothing more was sent" is read after a later task's reminder arrived, which a
// pass sends only after it has looked at every earlier one.

const HOUR_MS = 60 * 60 * 1000;
const PUBLIC_URL = 'https://trellis.example';
const PASSWORD = 'correct horse battery staple';

let database: TestDatabase;
let mailbox: Mailbox;
let receiver: WebhookReceiver;
const running: MainProcess[] = [];

const env = () => ({
  DATABASE_URL: database.url,
  MIGRATE_ON_START: 'false',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  REMINDER_INTERVAL_MS: '50',
  SMTP_URL: mailbox.url,
  PUBLIC_URL,
});

async function start(): Promise<string> {
  const started = startMainProcess(env());
  running.push(started);
  return started.listening;
}

beforeAll(async () => {
  [database, mailbox, receiver] = await Promise.all([
    createTestDatabase(),
    startMailbox(),
    startWebhookReceiver(),
  ]);
});

afterAll(async () => {
  const codes = await Promise.all(running.map((process) => process.stop()));
  await database?.destroy();
  await Promise.all([mailbox?.close(), receiver?.close()]);
  expect(codes.every((code) => code === 0)).toBe(true);
});

const email = `reminded-${process.pid}@example.com`;

/** Signs the owner up on `url` (proving the address by mail) and answers a client. */
async function owner(url: string): Promise<{ client: TrellisClient; token: string }> {
  const { session } = await createClient({ url }).auth.signUp.mutate({
    email,
    password: PASSWORD,
    name: 'Rita Reminded',
  });
  const mail = await mailbox.waitFor({ to: email, subject: 'Verify your email' });
  await createClient({ url }).auth.verifyEmail.mutate({
    token: tokenFromLink(mail.links[0] ?? ''),
  });
  return { client: createClient({ url, token: session.token }), token: session.token };
}

/** What was received for reminders, as `type taskId` lines. */
const reminders = () =>
  receiver.received.flatMap(({ event }) =>
    event?.type === 'task.due_soon' || event?.type === 'task.overdue'
      ? [`${event.type} ${(event.data as { id: string }).id}`]
      : [],
  );

const received = (type: string, taskId: string) =>
  reminders().filter((line) => line === `${type} ${taskId}`).length;

/** Stored counts of one task's reminder events and the owner's notifications of a kind. */
async function stored(taskId: string, kind: 'due_soon' | 'overdue') {
  const events = await database.db
    .selectFrom('activity')
    .select('id')
    .where('task_id', '=', taskId)
    .where('type', '=', `task.${kind}`)
    .execute();
  const notifications = await database.db
    .selectFrom('notifications')
    .select('id')
    .where('task_id', '=', taskId)
    .where('kind', '=', kind)
    .execute();
  return { events: events.length, notifications: notifications.length };
}

const dueIn = (ms: number) => new Date(Date.now() + ms).toISOString();

let projectId = '';
let token = '';

describe('reminders from the built server', () => {
  it('fire once per due date across a restart, and again for a new due date', async () => {
    const first = running.length;
    const url = await start();
    const me = await owner(url);
    token = me.token;
    const { id: workspaceId } = await me.client.workspaces.create.mutate({
      name: 'Due',
      slug: 'due',
    });
    ({ id: projectId } = await me.client.projects.create.mutate({
      workspaceId,
      name: 'Due',
      key: 'DUE',
    }));
    const { secret } = await me.client.webhooks.create.mutate({
      workspaceId,
      url: receiver.url,
      events: ['task.due_soon', 'task.overdue'],
    });
    receiver.secrets.push(secret);

    const task = await me.client.tasks.create.mutate({
      projectId,
      title: 'Renew the certificate',
      dueAt: dueIn(2 * HOUR_MS),
    });
    await receiver.until(() => received('task.due_soon', task.id) >= 1);
    expect(await running[first]?.stop()).toBe(0);

    const again = createClient({ url: await start(), token });
    const later = await again.tasks.create.mutate({
      projectId,
      title: 'Sentinel',
      dueAt: dueIn(3 * HOUR_MS),
    });
    await receiver.until(() => received('task.due_soon', later.id) >= 1);
    expect(await stored(task.id, 'due_soon')).toEqual({ events: 1, notifications: 1 });
    expect(received('task.due_soon', task.id)).toBe(1);

    // A new due date re-arms it; a date already past sends only the overdue reminder.
    await again.tasks.update.mutate({
      taskId: task.id,
      expectedVersion: task.version,
      patch: { dueAt: dueIn(5 * HOUR_MS) },
    });
    const late = await again.tasks.create.mutate({
      projectId,
      title: 'Late already',
      dueAt: dueIn(-HOUR_MS),
    });
    await receiver.until(
      () => received('task.due_soon', task.id) >= 2 && received('task.overdue', late.id) >= 1,
    );
    expect(await stored(task.id, 'due_soon')).toEqual({ events: 2, notifications: 2 });
    expect(await stored(late.id, 'overdue')).toEqual({ events: 1, notifications: 1 });
    expect(await stored(late.id, 'due_soon')).toEqual({ events: 0, notifications: 0 });
  }, 90_000);

  it('fire once per task with two processes running their schedulers', async () => {
    const urls = [running.at(-1)?.listening, start()];
    const clients = (await Promise.all(urls)).map((url) => createClient({ url: url ?? '', token }));
    const TASKS = 16;
    const tasks = await Promise.all(
      Array.from({ length: TASKS }, (_, n) =>
        clients[n % 2]?.tasks.create.mutate({
          projectId,
          title: `Both ${n}`,
          dueAt: dueIn((4 + n / 100) * HOUR_MS),
        }),
      ),
    );
    const ids = tasks.map((task) => task?.id ?? '');
    await receiver.until(() => ids.every((id) => received('task.due_soon', id) >= 1), 60_000);
    const sentinel = await clients[1]?.tasks.create.mutate({
      projectId,
      title: 'Sentinel 2',
      dueAt: dueIn(6 * HOUR_MS),
    });
    await receiver.until(() => received('task.due_soon', sentinel?.id ?? '') >= 1);
    for (const id of ids) {
      expect(await stored(id, 'due_soon')).toEqual({ events: 1, notifications: 1 });
      expect(received('task.due_soon', id)).toBe(1);
    }
  }, 90_000);

  it('mail a digest of them to a real SMTP server, with an unsubscribe link', async () => {
    const mail = await mailbox.waitFor({ to: email, subject: /new notifications? in Trellis/ });
    expect(mail.text).toMatch(/Due · DUE-\d+ Renew the certificate: due \d{4}-\d\d-\d\d/);
    expect(mail.links.at(-1)).toMatch(new RegExp(`^${PUBLIC_URL}/unsubscribe#token=tru_`));
  }, 60_000);

  it('turn digests off through the mail’s link, without signing in', async () => {
    const mail = await mailbox.waitFor({ to: email, subject: /new notifications? in Trellis/ });
    const link = mail.links.at(-1) ?? '';
    const url = (await running.at(-1)?.listening) ?? '';
    const anonymous = createClient({ url });
    await expect(
      anonymous.notifications.unsubscribe.mutate({ token: `${tokenFromLink(link)}x` }),
    ).rejects.toMatchObject({ data: { httpStatus: 400 } });
    const me = createClient({ url, token });
    expect((await me.notifications.preferences.get.query()).email).toBe(true);
    expect(
      await anonymous.notifications.unsubscribe.mutate({ token: tokenFromLink(link) }),
    ).toEqual({ ok: true, email: false });
    expect((await me.notifications.preferences.get.query()).email).toBe(false);
  }, 60_000);
});
