import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest } from '../test/harness.js';
import { assignedNote } from '../test/people-fixtures.js';
import { START, taskFixtures } from '../test/task-fixtures.js';
import { insertNotifications, type NewNotification } from './notifications.js';

// The one writer of notifications: numbers per recipient with no gap or repeat (also when
// writers run at once), and what it drops: the actor's own, non-members', kinds turned off.

let harness: Harness;
harnessForEachTest(START, (current) => {
  harness = current;
});
const { team } = taskFixtures(() => harness);

const note = assignedNote;

const write = (list: NewNotification[]) =>
  harness.db.transaction().execute((trx) => insertNotifications(trx, list, START));

async function seqsOf(userId: string) {
  const rows = await harness.db
    .selectFrom('notifications')
    .select('seq')
    .where('user_id', '=', userId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => Number(row.seq));
}

describe('insertNotifications', () => {
  it('numbers each recipient’s notifications from 1, in order', async () => {
    const { owner, member, viewer, workspaceId } = await team();
    const by = owner.user.id;
    expect(
      await write([note(member.user.id, workspaceId, by), note(viewer.user.id, workspaceId, by)]),
    ).toBe(2);
    expect(
      await write([note(member.user.id, workspaceId, by), note(member.user.id, workspaceId, by)]),
    ).toBe(2);
    expect(await seqsOf(member.user.id)).toEqual([1, 2, 3]);
    expect(await seqsOf(viewer.user.id)).toEqual([1]);
  });

  it('drops the actor’s own, a non-member’s and a kind the recipient turned off', async () => {
    const { owner, member, viewer, outsider, workspaceId } = await team();
    await harness.db
      .insertInto('inboxes')
      .values({
        user_id: viewer.user.id,
        preferences: JSON.stringify({ kinds: { assigned: false } }),
        last_digest_at: null,
      })
      .execute();
    const by = member.user.id;
    const written = await write([
      note(member.user.id, workspaceId, by),
      note(outsider.user.id, workspaceId, by),
      note(viewer.user.id, workspaceId, by),
      note(owner.user.id, workspaceId, by),
    ]);
    expect(written).toBe(1);
    expect(await seqsOf(owner.user.id)).toEqual([1]);
    for (const other of [member, outsider, viewer]) expect(await seqsOf(other.user.id)).toEqual([]);
  });

  it('gives concurrent writers distinct numbers with no gap', async () => {
    const { owner, member, workspaceId } = await team();
    await Promise.all(
      Array.from({ length: 8 }, () =>
        write([
          note(member.user.id, workspaceId, owner.user.id),
          note(member.user.id, workspaceId, owner.user.id),
        ]),
      ),
    );
    expect(await seqsOf(member.user.id)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('rolls its numbers back with the transaction', async () => {
    const { owner, member, workspaceId } = await team();
    await expect(
      harness.db.transaction().execute(async (trx) => {
        await insertNotifications(trx, [note(member.user.id, workspaceId, owner.user.id)], START);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await write([note(member.user.id, workspaceId, owner.user.id)]);
    expect(await seqsOf(member.user.id)).toEqual([1]);
  });
});
