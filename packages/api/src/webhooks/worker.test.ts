import { dialectOf } from '@trellis/db';
import { refuseInserts } from '@trellis/db/testing';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { makeTasks, type WebhookWorld, webhookWorldForEachTest } from '../test/webhook-fixtures.js';
import { answeredOk, type ReceivedRequest, verifyWith } from '../test/webhook-receiver.js';
import { testWebhookSettings } from '../test/webhook-settings.js';

// The delivery worker against a real database and real receivers on 127.0.0.1: every event
// once, in order, across failures, filters, two workers and a worker that stops mid-way.

let world: WebhookWorld;
webhookWorldForEachTest((fresh) => {
  world = fresh;
});

const idsOf = (requests: readonly ReceivedRequest[]) =>
  requests.map((request) => request.headers['webhook-id']);

/** The endpoint's cursor and the workspace's newest entry number. */
async function cursorAndHead(webhookId: string) {
  const row = await world.harness.db
    .selectFrom('webhooks')
    .innerJoin('workspaces', 'workspaces.id', 'webhooks.workspace_id')
    .select(['webhooks.cursor', 'workspaces.activity_seq'])
    .where('webhooks.id', '=', webhookId)
    .executeTakeFirstOrThrow();
  return { cursor: Number(row.cursor), head: Number(row.activity_seq) };
}

it('delivers every event once, in log order, signed', async () => {
  const team = await world.hooked();
  const { owner, workspaceId, receiver, webhookId, secret } = team;
  const worker = world.worker();
  const ids = await makeTasks(team, 12);
  const requests = await receiver.received(12);
  await worker.attempted(12);
  await worker.close();

  expect(receiver.requests).toHaveLength(12);
  expect(idsOf(requests)).toEqual(ids);
  const { items } = await owner.api.events.list({ workspaceId, types: ['task.created'] });
  expect(requests.map((request) => verifyWith(secret, request))).toEqual(items);
  expect(await cursorAndHead(webhookId)).toEqual({ cursor: 13, head: 13 });
  const [hook] = await owner.api.webhooks.list({ workspaceId });
  expect(hook).toMatchObject({ enabled: true, failingSince: null, failedAttempts: 0 });
});

it('retries a failing event until it is taken, holding the later ones back', async () => {
  // T3 is refused three times (503, 500, 429) before it is taken.
  const tries = new Map<string, number>();
  const team = await world.hooked({
    respond: (request) => {
      const id = request.headers['webhook-id'] ?? '';
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      const title = (request.event.data as { title?: string }).title;
      return title === 'T3' && n <= 3 ? ([503, 500, 429][n - 1] ?? 500) : 200;
    },
  });
  const { owner, workspaceId, receiver, webhookId } = team;
  world.worker();
  const ids = await makeTasks(team, 6);
  const delivered = await receiver.received(6);

  expect(idsOf(delivered)).toEqual(ids);
  // Nothing after T3 went out before T3 was taken.
  expect(idsOf(receiver.requests)).toEqual([
    ids[0],
    ids[1],
    ids[2],
    ids[2],
    ids[2],
    ids[2],
    ids[3],
    ids[4],
    ids[5],
  ]);
  expect(receiver.requests.map((request) => request.status)).toEqual([
    200, 200, 503, 500, 429, 200, 200, 200, 200,
  ]);
  await expect.poll(async () => (await cursorAndHead(webhookId)).cursor).toBe(7);
  const { items } = await owner.api.webhooks.deliveries({ webhookId });
  const ofT3 = items.filter((delivery) => delivery.eventId === ids[2]).reverse();
  expect(ofT3.map((d) => [d.attempt, d.outcome, d.statusCode, d.error])).toEqual([
    [1, 'failed', 503, 'HTTP 503'],
    [2, 'failed', 500, 'HTTP 500'],
    [3, 'failed', 429, 'HTTP 429'],
    [4, 'delivered', 200, null],
  ]);
  expect(ofT3[0]?.responseExcerpt).toBe('answered 503');
  const [hook] = await owner.api.webhooks.list({ workspaceId });
  expect(hook).toMatchObject({ failingSince: null, failedAttempts: 0, nextAttemptAt: null });
});

it('shows a failing endpoint’s retries, disables it when the window runs out, and resumes on enable', async () => {
  const team = await world.hooked({ respond: () => 503 });
  const { owner, workspaceId, receiver, webhookId } = team;
  const settings = { ...testWebhookSettings, retrySchedule: [30, 60], retryWindowMs: 400 };
  const failing = world.worker({ settings });
  const ids = await makeTasks(team, 3);

  // While it fails: since when, how many tries, when the next is due.
  await failing.attempted(1);
  await expect
    .poll(async () => (await owner.api.webhooks.list({ workspaceId }))[0]?.failedAttempts)
    .toBeGreaterThanOrEqual(1);
  await expect
    .poll(async () => (await owner.api.webhooks.list({ workspaceId }))[0]?.enabled)
    .toBe(false);
  const [disabled] = await owner.api.webhooks.list({ workspaceId });
  expect(disabled?.disabledReason).toContain('retry window');
  expect(disabled?.disabledReason).toContain('HTTP 503');
  expect(disabled?.failingSince).toEqual(expect.any(String));
  expect(disabled?.failedAttempts).toBeGreaterThanOrEqual(2);
  // Only the first event was ever tried; nothing was skipped.
  expect(new Set(idsOf(receiver.requests))).toEqual(new Set([ids[0]]));
  expect((await cursorAndHead(webhookId)).cursor).toBe(1);
  await failing.close();

  // A worker that never polls: only the enabling's wake-up can send the held events.
  const worker = world.worker({ pollMs: 3_600_000 });
  receiver.respondWith(() => 204);
  const enabled = await owner.api.webhooks.update({ webhookId, enabled: true });
  expect(enabled).toMatchObject({
    enabled: true,
    disabledReason: null,
    failingSince: null,
    failedAttempts: 0,
    nextAttemptAt: null,
  });
  const delivered = await receiver.received(3);
  expect(idsOf(delivered)).toEqual(ids);
  await worker.attempted(3);
});

it('sends only the types an endpoint asked for, and moves past the others', async () => {
  const { owner, projectId, receiver, webhookId } = await world.hooked({
    events: ['task.created', 'comment.created'],
  });
  const worker = world.worker();
  const task = await owner.api.tasks.create({ projectId, title: 'One' });
  await owner.api.tasks.update({
    taskId: task.id,
    expectedVersion: task.version,
    patch: { title: 'One!' },
  });
  await owner.api.comments.create({ taskId: task.id, body: 'Hi' });
  await owner.api.tasks.delete({ taskId: task.id });
  await owner.api.projects.update({ projectId, name: 'Renamed' });
  const delivered = await receiver.received(2);
  expect(delivered.map((request) => request.event.type)).toEqual([
    'task.created',
    'comment.created',
  ]);
  // The trailing events it does not receive are passed over, not left pending.
  await expect.poll(async () => cursorAndHead(webhookId)).toEqual({ cursor: 6, head: 6 });
  await worker.close();
  expect(receiver.requests).toHaveLength(2);
});

it('delivers each event exactly once with two workers on one database', async () => {
  const team = await world.team();
  const receivers = [await world.receiver(), await world.receiver(), await world.receiver()];
  for (const receiver of receivers) {
    await team.owner.api.webhooks.create({ workspaceId: team.workspaceId, url: receiver.url });
  }
  const first = world.worker({ concurrency: 2 });
  const second = world.worker({ concurrency: 2 });
  const ids = await makeTasks(team, 15);
  for (const receiver of receivers) expect(idsOf(await receiver.received(15))).toEqual(ids);
  await first.close();
  await second.close();
  for (const receiver of receivers) {
    expect(receiver.requests.filter(answeredOk)).toHaveLength(15);
  }
  expect(first.attempts.length + second.attempts.length).toBe(45);
});

it('loses nothing when a worker stops mid-way: the next one resumes where it left off', async () => {
  const team = await world.hooked();
  const { receiver, webhookId } = team;
  let closing: Promise<void> | undefined;
  const ids = await makeTasks(team, 8);
  const stopping = world.worker();
  // The worker is told to stop while the fourth request is being answered.
  receiver.respondWith((_request, index) => {
    if (index === 3) closing = stopping.close();
    return 204;
  });
  await receiver.received(4);
  await closing;
  const sentBeforeStop = receiver.requests.length;
  expect(sentBeforeStop).toBeLessThan(8);
  // What was answered 2xx before the stop is not sent again.
  expect((await cursorAndHead(webhookId)).cursor).toBe(1 + sentBeforeStop);

  world.worker();
  const delivered = await receiver.received(8);
  expect(idsOf(delivered)).toEqual(ids);
});

it('takes over an endpoint whose worker died holding it, once the lease expires', async () => {
  const team = await world.hooked();
  const { receiver, webhookId } = team;
  // A process that claimed the endpoint and was killed: its lease runs for a moment more.
  const leaseEnds = new Date(Date.now() + 300);
  await world.harness.db
    .updateTable('webhooks')
    .set({ lease_owner: 'killed-process/claim', lease_expires_at: leaseEnds.toISOString() })
    .where('id', '=', webhookId)
    .execute();
  world.worker();
  const ids = await makeTasks(team, 3);
  const delivered = await receiver.received(3);
  expect(Date.now()).toBeGreaterThanOrEqual(leaseEnds.getTime());
  expect(idsOf(delivered)).toEqual(ids);
});

it('tries again, when woken, an event whose attempt could not be written down', async () => {
  const team = await world.hooked();
  const { receiver } = team;
  await refuseInserts(world.harness.db, 'webhook_deliveries', 'delivery log unavailable');
  let reportError: (error: unknown) => void = () => {};
  const reported = new Promise<unknown>((resolve) => {
    reportError = resolve;
  });
  const [id] = await makeTasks(team, 1);
  // Never polls: only its start and wake-ups make it look for due endpoints. (Started after
  // the write: on PostgreSQL this process's bus rings before the commit, and only the
  // server's LISTEN fan-out, absent here, rings again after it.)
  const worker = world.worker({ pollMs: 3_600_000, onError: (error) => reportError(error) });
  expect(String(await reported)).toContain('delivery log unavailable');
  const dropTrigger =
    dialectOf(world.harness.db) === 'postgres'
      ? sql`drop trigger refuse_webhook_deliveries on webhook_deliveries`
      : sql`drop trigger refuse_webhook_deliveries`;
  await dropTrigger.execute(world.harness.db);
  worker.wake();
  await worker.attempted(1);
  // Sent when its row could not be written (not taken as delivered), and again when woken.
  expect(idsOf(receiver.requests)).toEqual([id, id]);
});

it('lets endpoints take turns: a busy one cannot hold back another beyond one batch', async () => {
  // The first endpoint's receiver takes a few ms per request, so its backlog lasts a while.
  const team = await world.hooked({
    respond: () => new Promise((resolve) => setTimeout(() => resolve(204), 3)),
  });
  await makeTasks(team, 150);
  // One endpoint at a time, as when a process has more endpoints than its concurrency.
  world.worker({ concurrency: 1 });
  await team.receiver.received(1);
  // While the first works through its backlog, a second endpoint gets an event.
  const other = await world.receiver();
  await team.owner.api.webhooks.create({ workspaceId: team.workspaceId, url: other.url });
  await team.owner.api.tasks.create({ projectId: team.projectId, title: 'for both' });
  await other.received(1);
  // The first had at most one batch (100 events) before the second got its turn.
  expect(team.receiver.requests.length).toBeLessThanOrEqual(100);
  await team.receiver.received(151);
});
