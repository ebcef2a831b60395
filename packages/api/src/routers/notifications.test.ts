import { newId } from '@trellis/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeCursor } from '../cursor.js';
import { fieldErrorsOf } from '../errors.js';
import { DEFAULT_PREFERENCES, type NotificationKind } from '../notifications/kinds.js';
import { insertNotifications } from '../queries/notifications.js';
import { createHarness, type Harness, rejection } from '../test/harness.js';
import type { NotificationEvent } from './notifications-on-new.js';
import { STREAM_START_HEADER } from './tasks-on-change.js';

// The inbox's procedures, over notifications written the one way they are written
// (insertNotifications), so these tests depend on no deriver of any kind.

let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
});

afterEach(async () => {
  await harness.destroy();
});

type Person = Awaited<ReturnType<Harness['signUpUser']>>;
type Api = Person['api'];

/** Two people sharing a workspace: `actor` does things, `reader` is told. */
async function world(slug = 'acme') {
  const actor = await harness.signUpUser('Olive');
  const reader = await harness.signUpUser('Rita');
  const { id: workspaceId } = await actor.api.workspaces.create({ name: 'Acme', slug });
  await harness.addMember(workspaceId, reader.user.id, 'member');
  /** Writes `count` notifications for `to`, numbered titles from `from`. */
  const notify = async (
    to: Person,
    count = 1,
    options: { kind?: NotificationKind; workspace?: string; from?: number } = {},
  ) => {
    const from = options.from ?? 1;
    await harness.db.transaction().execute((trx) =>
      insertNotifications(
        trx,
        Array.from({ length: count }, (_, i) => ({
          userId: to.user.id,
          workspaceId: options.workspace ?? workspaceId,
          kind: options.kind ?? 'assigned',
          taskId: newId(),
          commentId: null,
          // Nobody is told of their own actions: the other one of the two acted.
          actorId: to.user.id === actor.user.id ? reader.user.id : actor.user.id,
          data: { task: { id: newId(), key: `ENG-${from + i}`, title: `Task ${from + i}` } },
        })),
        new Date(),
      ),
    );
  };
  return { actor, reader, workspaceId, notify };
}

const keys = (items: readonly { task: { key: string } }[]) => items.map((item) => item.task.key);

/** Subscribes in-process; events arrive as tracked envelopes (`[id, data]`). */
async function subscribe(api: Api, input: { lastEventId?: string } = {}) {
  const iterable: AsyncIterable<unknown> = await api.notifications.onNew(input);
  const iterator = iterable[Symbol.asyncIterator]();
  return {
    async next(): Promise<{ id: string; event: NotificationEvent }> {
      const result = await iterator.next();
      if (result.done) throw new Error('the stream ended');
      const [id, event] = result.value as [string, NotificationEvent];
      return { id, event };
    },
    async ended(): Promise<void> {
      const result = await iterator.next();
      if (!result.done) throw new Error(`expected the end, got ${JSON.stringify(result.value)}`);
    },
    close: () => iterator.return?.(),
  };
}

describe('notifications.list', () => {
  it('pages newest first, shows only the caller’s own, and filters unread', async () => {
    const { actor, reader, notify } = await world();
    await notify(reader, 5);
    await notify(actor, 1, { from: 100 });
    const first = await reader.api.notifications.list({ limit: 2 });
    expect(keys(first.items)).toEqual(['ENG-5', 'ENG-4']);
    expect(first.items[0]).toMatchObject({
      kind: 'assigned',
      actor: { id: actor.user.id, name: 'Olive' },
      commentId: null,
      readAt: null,
    });
    expect(first.items[0]).not.toHaveProperty('excerpt');
    const second = await reader.api.notifications.list({
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    const third = await reader.api.notifications.list({
      limit: 2,
      cursor: second.nextCursor ?? '',
    });
    expect(keys(second.items)).toEqual(['ENG-3', 'ENG-2']);
    expect(keys(third.items)).toEqual(['ENG-1']);
    expect(third.nextCursor).toBeNull();

    const [newest] = first.items;
    await reader.api.notifications.markRead({ ids: [newest?.id ?? ''] });
    const unread = await reader.api.notifications.list({ unreadOnly: true });
    expect(keys(unread.items)).toEqual(['ENG-4', 'ENG-3', 'ENG-2', 'ENG-1']);
  });

  it('refuses a cursor it never issued, by name', async () => {
    const { reader, notify } = await world();
    await notify(reader, 2);
    for (const cursor of ['garbage', encodeCursor({ before: 99 })]) {
      const error = await rejection(reader.api.notifications.list({ cursor }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['cursor']);
    }
  });
});

describe('notifications.markRead and unreadCount', () => {
  it('marks only the caller’s own, by id or all, and the count follows', async () => {
    const { actor, reader, notify } = await world();
    await notify(reader, 3);
    await notify(actor, 1);
    const [theirs] = (await actor.api.notifications.list({})).items;
    const mine = (await reader.api.notifications.list({})).items;
    expect(await reader.api.notifications.unreadCount()).toEqual({ count: 3 });

    // Another person's id is skipped, like an unknown one: nobody learns it exists.
    const marked = await reader.api.notifications.markRead({
      ids: [mine[0]?.id ?? '', theirs?.id ?? '', 'no-such-id'],
    });
    expect(marked).toEqual({ marked: 1 });
    expect(await actor.api.notifications.unreadCount()).toEqual({ count: 1 });
    expect(await reader.api.notifications.unreadCount()).toEqual({ count: 2 });
    // Already read: nothing to mark.
    expect(await reader.api.notifications.markRead({ ids: [mine[0]?.id ?? ''] })).toEqual({
      marked: 0,
    });

    expect(await reader.api.notifications.markRead({ all: true })).toEqual({ marked: 2 });
    expect(await reader.api.notifications.unreadCount()).toEqual({ count: 0 });
    expect(await actor.api.notifications.unreadCount()).toEqual({ count: 1 });
    const after = await reader.api.notifications.list({});
    expect(after.items.every((item) => item.readAt !== null)).toBe(true);
  });

  it('wants exactly one of ids and all', async () => {
    const { reader } = await world();
    const neither = await rejection(reader.api.notifications.markRead({}));
    expect(neither.code).toBe('BAD_REQUEST');
    expect(Object.keys(fieldErrorsOf(neither.cause) ?? {})).toEqual(['ids']);
    const both = await rejection(reader.api.notifications.markRead({ ids: ['x'], all: true }));
    expect(Object.keys(fieldErrorsOf(both.cause) ?? {})).toEqual(['all']);
  });

  it('hides a removed member’s notifications from that workspace, and shows them again on rejoining', async () => {
    const { actor, reader, workspaceId, notify } = await world();
    const { id: otherId } = await actor.api.workspaces.create({ name: 'Other', slug: 'other' });
    await harness.addMember(otherId, reader.user.id, 'member');
    await notify(reader, 2);
    await notify(reader, 1, { workspace: otherId, from: 50 });
    await harness.db
      .deleteFrom('memberships')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', reader.user.id)
      .execute();

    expect(keys((await reader.api.notifications.list({})).items)).toEqual(['ENG-50']);
    expect(await reader.api.notifications.unreadCount()).toEqual({ count: 1 });
    // What cannot be seen cannot be marked read either.
    expect(await reader.api.notifications.markRead({ all: true })).toEqual({ marked: 1 });

    await harness.addMember(workspaceId, reader.user.id, 'member');
    expect(await reader.api.notifications.unreadCount()).toEqual({ count: 2 });
  });
});

describe('notifications.preferences', () => {
  it('answers the defaults, applies partial updates, and stops a kind turned off', async () => {
    const { reader, notify } = await world();
    const defaults = await reader.api.notifications.preferences.get();
    expect(defaults).toEqual(DEFAULT_PREFERENCES);
    await reader.api.notifications.preferences.update({ kinds: { assigned: false } });
    const updated = await reader.api.notifications.preferences.update({ emailIntervalMinutes: 60 });
    expect(updated).toEqual({
      ...defaults,
      kinds: { ...defaults.kinds, assigned: false },
      emailIntervalMinutes: 60,
    });
    expect(await reader.api.notifications.preferences.get()).toEqual(updated);

    await notify(reader, 1, { kind: 'assigned' });
    await notify(reader, 1, { kind: 'commented', from: 2 });
    expect(keys((await reader.api.notifications.list({})).items)).toEqual(['ENG-2']);
  });

  it('refuses bad values by field', async () => {
    const { reader } = await world();
    const cases = [
      [{ emailIntervalMinutes: 0 }, 'emailIntervalMinutes'],
      [{ kinds: { nonsense: true } }, 'kinds'],
      [{ email: 'yes' }, 'email'],
    ] as const;
    for (const [input, field] of cases) {
      const error = await rejection(reader.api.notifications.preferences.update(input as never));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {}).join()).toContain(field);
    }
  });
});

describe('notifications.onNew', () => {
  it('delivers new notifications with the unread count as of each, and resumes after an id', async () => {
    const { reader, notify } = await world();
    await notify(reader, 1);
    const stream = await subscribe(reader.api);
    await notify(reader, 2, { from: 2 });
    const a = await stream.next();
    const b = await stream.next();
    await stream.close();
    expect([a.event.notification.task.key, a.event.unreadCount]).toEqual(['ENG-2', 2]);
    expect([b.event.notification.task.key, b.event.unreadCount]).toEqual(['ENG-3', 3]);
    expect(await reader.api.notifications.unreadCount()).toEqual({ count: b.event.unreadCount });

    await notify(reader, 2, { from: 4 });
    // ENG-1 and ENG-3 stay unread before ENG-4.
    await reader.api.notifications.markRead({ ids: [a.event.notification.id] });
    const resumed = await subscribe(reader.api, { lastEventId: a.id });
    const replay = [await resumed.next(), await resumed.next(), await resumed.next()];
    await resumed.close();
    expect(replay.map((r) => [r.event.notification.task.key, r.event.unreadCount])).toEqual([
      ['ENG-3', 2],
      ['ENG-4', 3],
      ['ENG-5', 4],
    ]);
    expect(replay[0]?.id).toBe(b.id);
  });

  it('names where it starts, even in an empty inbox, and refuses ids never issued', async () => {
    const { reader, notify } = await world();
    const { api, headers } = harness.caller({ authorization: `Bearer ${reader.token}` });
    await (await subscribe(api)).close();
    const start = headers[STREAM_START_HEADER] ?? '';
    expect(start).toBe(encodeCursor({ n: 0 }));
    await notify(reader, 1);
    const resumed = await subscribe(api, { lastEventId: start });
    expect((await resumed.next()).event.notification.task.key).toBe('ENG-1');
    await resumed.close();

    for (const lastEventId of ['not-an-id', encodeCursor({ n: 2 })]) {
      const error = await rejection(reader.api.notifications.onNew({ lastEventId }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['lastEventId']);
    }
  });

  it('skips workspaces the person left and never sends another person’s', async () => {
    const { actor, reader, workspaceId, notify } = await world();
    const { id: otherId } = await actor.api.workspaces.create({ name: 'Other', slug: 'other' });
    await harness.addMember(otherId, reader.user.id, 'member');
    await notify(reader, 1, { from: 8 });
    await harness.db
      .deleteFrom('memberships')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', reader.user.id)
      .execute();
    // Replayed from the very start: the left workspace's notification is not among them.
    const stream = await subscribe(reader.api, { lastEventId: encodeCursor({ n: 0 }) });
    await notify(actor, 1, { from: 7 });
    await notify(reader, 1, { workspace: otherId, from: 9 });
    const event = await stream.next();
    await stream.close();
    expect([event.event.notification.task.key, event.event.unreadCount]).toEqual(['ENG-9', 1]);
  });

  it('ends the stream of a signed-out session, and refuses nobody', async () => {
    const { reader } = await world();
    const stream = await subscribe(reader.api);
    const ended = stream.ended();
    await reader.api.auth.signOut({});
    await ended;
    const anonymous = harness.caller().api;
    expect((await rejection(anonymous.notifications.onNew({}))).code).toBe('UNAUTHORIZED');
  });
});
