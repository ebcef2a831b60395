// auth.updateProfile and handles through the router, with a real database.
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../errors.js';
import { type Harness, harnessForEachTest, rejection } from '../test/harness.js';
import { START, taskFixtures } from '../test/task-fixtures.js';

let harness: Harness;
harnessForEachTest(START, (fresh) => {
  harness = fresh;
});
const { team } = taskFixtures(() => harness);

describe('auth.updateProfile', () => {
  it('changes the name and the handle (any case, stored lower), as auth.me then shows', async () => {
    const ada = await harness.signUpUser('Ada Lovelace');
    expect(ada.user.handle).toMatch(/^user\d+-\d+$/);

    const updated = await ada.api.auth.updateProfile({ name: 'Ada L.', handle: '  Ada_L ' });

    expect(updated).toEqual({ ...ada.user, name: 'Ada L.', handle: 'ada_l' });
    expect((await ada.api.auth.me()).user).toMatchObject({ name: 'Ada L.', handle: 'ada_l' });
  });

  it('refuses a handle another account holds with CONFLICT naming handle', async () => {
    const ada = await harness.signUpUser('Ada');
    const bob = await harness.signUpUser('Bob');
    const error = await rejection(bob.api.auth.updateProfile({ handle: ada.user.handle }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('handle');
    // Keeping one's own handle is no clash.
    expect(await ada.api.auth.updateProfile({ handle: ada.user.handle })).toEqual(ada.user);
  });

  it('refuses a malformed handle, or nothing to change, as a 400 naming the field', async () => {
    const ada = await harness.signUpUser('Ada');
    for (const handle of [
      'a',
      'x'.repeat(33),
      'has space',
      '-dash',
      'dash-',
      'dot.ted',
      'ü-mlaut',
    ]) {
      const error = await rejection(ada.api.auth.updateProfile({ handle }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['handle']);
    }
    const empty = await rejection(ada.api.auth.updateProfile({}));
    expect(empty.code).toBe('BAD_REQUEST');
  });

  it('keeps mentions written with the old handle pointing at the person', async () => {
    const { owner, member, projectId } = await team();
    const task = await owner.api.tasks.create({ projectId, title: 'Rename' });
    const oldText = `@${member.user.handle}`;
    await owner.api.comments.create({ taskId: task.id, body: `ping ${oldText}` });

    await member.api.auth.updateProfile({ handle: 'mia' });

    const [comment] = (await owner.api.comments.list({ taskId: task.id })).items;
    expect(comment?.mentions).toEqual([
      { userId: member.user.id, text: oldText, name: 'Mia Member', handle: 'mia' },
    ]);
    const again = await owner.api.comments.create({ taskId: task.id, body: 'and @MIA' });
    expect(again.mentions.map((m) => m.userId)).toEqual([member.user.id]);
  });
});

describe('handles in answers', () => {
  it('members.list shows each member’s handle', async () => {
    const { owner, workspaceId } = await team();
    const members = await owner.api.members.list({ workspaceId });
    expect(members.every((m) => /^[a-z0-9][a-z0-9_-]*[a-z0-9]$/.test(m.handle))).toBe(true);
    expect(members.find((m) => m.userId === owner.user.id)?.handle).toBe(owner.user.handle);
  });
});
