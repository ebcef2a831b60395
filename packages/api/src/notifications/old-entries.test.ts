// Log entries written before handles and mentions existed still make valid events: a
// member's handle reads as empty and a comment's mentions as none.
import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest } from '../test/harness.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team } = taskFixtures(() => harness);

/** Rewrites every stored entry's data as an older server wrote it. */
async function forgetPeopleFields() {
  const rows = await harness.db.selectFrom('activity').select(['id', 'data']).execute();
  for (const row of rows) {
    const data = JSON.parse(row.data) as Record<string, Record<string, unknown> | undefined>;
    delete data.member?.handle;
    delete data.comment?.mentions;
    await harness.db
      .updateTable('activity')
      .set({ data: JSON.stringify(data) })
      .where('id', '=', row.id)
      .execute();
  }
}

describe('events.list over entries from before handles and mentions', () => {
  it('validates, with an empty handle and no mentions', async () => {
    const { owner, member, workspaceId, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Old' });
    await owner.api.comments.create({ taskId: task.id, body: `@${member.user.handle}` });
    await owner.api.members.updateRole({ workspaceId, userId: member.user.id, role: 'viewer' });
    await forgetPeopleFields();

    const { items } = await owner.api.events.list({ workspaceId });

    const comment = items.find((e) => e.type === 'comment.created');
    const role = items.find((e) => e.type === 'member.role_changed');
    expect(comment?.data).toMatchObject({ body: `@${member.user.handle}`, mentions: [] });
    expect(role?.data).toMatchObject({ userId: member.user.id, handle: '' });
  });
});
