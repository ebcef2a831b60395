import { newId } from '@trellis/db';
import { describe, expect, it } from 'vitest';
import { recordAttachment } from '../attachments/record.js';
import { fieldErrorsOf } from '../errors.js';
import { runReminders } from '../notifications/reminders.js';
import { LOG_EVENT_TYPES, logEventOutput } from '../outputs.js';
import { type Harness, harnessForEachTest, rejection, type TestClock } from '../test/harness.js';
import type { SignedUp } from '../test/teams.js';

const START = new Date('2030-06-01T09:00:00.000Z');

let harness: Harness;
let clock: TestClock;

harnessForEachTest(START, (fresh, freshClock) => {
  harness = fresh;
  clock = freshClock;
});

/** An owner's workspace with project ENG. */
async function workspaceWithProject(owner: SignedUp, slug = 'acme') {
  const { id: workspaceId } = await owner.api.workspaces.create({ name: slug, slug });
  const project = await owner.api.projects.create({ workspaceId, name: 'Eng', key: 'ENG' });
  return { workspaceId, project };
}

/** Creates `count` tasks a second apart; returns them in order. */
async function tasks(owner: SignedUp, projectId: string, count: number) {
  const made = [];
  for (let i = 1; i <= count; i += 1) {
    clock.advance(1000);
    made.push(await owner.api.tasks.create({ projectId, title: `T${i}` }));
  }
  return made;
}

/** Every event of the workspace, following `after` page by page. */
async function allEvents(api: SignedUp['api'], workspaceId: string, limit = 100) {
  const events = [];
  let after: string | undefined;
  for (;;) {
    const page = await api.events.list({ workspaceId, after, limit });
    events.push(...page.items);
    if (!page.hasMore) return events;
    after = page.items.at(-1)?.id;
  }
}

describe('events.list', () => {
  it('returns the log oldest first, paged by the last id seen, with hasMore', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const { workspaceId, project } = await workspaceWithProject(owner);
    const made = await tasks(owner, project.id, 7);

    const pages = [];
    let after: string | undefined;
    for (;;) {
      const page = await owner.api.events.list({ workspaceId, after, limit: 3 });
      pages.push(page);
      if (!page.hasMore) break;
      after = page.items.at(-1)?.id;
    }
    expect(pages.map((page) => [page.items.length, page.hasMore])).toEqual([
      [3, true],
      [3, true],
      [2, false],
    ]);
    const events = pages.flatMap((page) => page.items);
    expect(events.map((event) => event.type)).toEqual([
      'project.created',
      ...made.map(() => 'task.created'),
    ]);
    expect(events.slice(1).map((event) => (event.data as { id: string }).id)).toEqual(
      made.map((task) => task.id),
    );
    // The log's own order: the same ids activity.list shows, reversed.
    const activity = await owner.api.activity.list({ workspaceId, limit: 100 });
    expect(events.map((event) => event.id)).toEqual(activity.items.map((e) => e.id).reverse());
    // Times never go backwards along the log.
    const times = events.map((event) => event.timestamp);
    expect([...times].sort()).toEqual(times);

    // Exactly a page's worth left: hasMore is false on the page that ends the log.
    const lastThree = await owner.api.events.list({ workspaceId, after: events[4]?.id, limit: 3 });
    expect(lastThree.items.map((event) => event.id)).toEqual(events.slice(5).map((e) => e.id));
    expect(lastThree.hasMore).toBe(false);
    const pastTheEnd = await owner.api.events.list({ workspaceId, after: events.at(-1)?.id });
    expect(pastTheEnd).toEqual({ items: [], hasMore: false });
  });

  it('filters by type, and pages through the filtered events', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const { workspaceId, project } = await workspaceWithProject(owner);
    const [first, second] = await tasks(owner, project.id, 2);
    if (!first || !second) throw new Error('two tasks made');
    await owner.api.tasks.update({
      taskId: first.id,
      expectedVersion: first.version,
      patch: { title: 'T1 renamed' },
    });
    await owner.api.comments.create({ taskId: second.id, body: 'Looks good' });

    const updates = await owner.api.events.list({ workspaceId, types: ['task.updated'] });
    expect(updates.items.map((event) => event.type)).toEqual(['task.updated']);
    const both = await owner.api.events.list({
      workspaceId,
      types: ['comment.created', 'task.created'],
      limit: 2,
    });
    expect(both.items.map((event) => event.type)).toEqual(['task.created', 'task.created']);
    expect(both.hasMore).toBe(true);
    const rest = await owner.api.events.list({
      workspaceId,
      types: ['comment.created', 'task.created'],
      after: both.items.at(-1)?.id,
    });
    expect(rest.items.map((event) => event.type)).toEqual(['comment.created']);
    expect(rest.hasMore).toBe(false);
  });

  it('refuses an unknown `after`, another workspace’s event id, and unknown types', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const stranger = await harness.signUpUser('Sam Stranger');
    const { workspaceId } = await workspaceWithProject(owner);
    const theirs = await workspaceWithProject(stranger, 'theirs');
    const [theirEvent] = (await stranger.api.events.list({ workspaceId: theirs.workspaceId }))
      .items;

    for (const after of ['01J0000000000000000000000Z', theirEvent?.id]) {
      const error = await rejection(owner.api.events.list({ workspaceId, after }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(Object.keys(fieldErrorsOf(error.cause) ?? {})).toEqual(['after']);
      expect(error.message).not.toContain('theirs');
    }
    const badType = await rejection(
      owner.api.events.list({ workspaceId, types: ['task.exploded' as 'task.created'] }),
    );
    expect(Object.keys(fieldErrorsOf(badType.cause) ?? {})).toEqual(['types.0']);
    const noTypes = await rejection(owner.api.events.list({ workspaceId, types: [] }));
    expect(Object.keys(fieldErrorsOf(noTypes.cause) ?? {})).toEqual(['types']);
    // Someone else's workspace is not found, as if it did not exist.
    const notMine = await rejection(owner.api.events.list({ workspaceId: theirs.workspaceId }));
    expect(notMine.code).toBe('NOT_FOUND');
  });

  it('has an event of every type the routers write, its data what the API answered', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const admin = await harness.signUpUser('Adam Admin');
    const joiner = await harness.signUpUser('Jo Joiner');
    const leaver = await harness.signUpUser('Lee Leaver');
    const { workspaceId, project } = await workspaceWithProject(owner);
    await harness.addMember(workspaceId, admin.user.id, 'admin');
    await harness.addMember(workspaceId, leaver.user.id, 'member');
    const expected: { type: string; data: unknown; changes?: unknown }[] = [
      { type: 'project.created', data: project },
    ];
    const step = () => clock.advance(1000);

    step();
    const renamed = await owner.api.projects.update({ projectId: project.id, name: 'Engine' });
    expected.push({
      type: 'project.updated',
      data: renamed,
      changes: { name: { from: 'Eng', to: 'Engine' } },
    });
    step();
    const state = await owner.api.projects.states.add({
      projectId: project.id,
      name: "Won't do",
      category: 'canceled',
    });
    expected.push({ type: 'state.created', data: state });
    step();
    const renamedState = await owner.api.projects.states.rename({
      stateId: state.id,
      name: 'Dropped',
    });
    expected.push({
      type: 'state.updated',
      data: renamedState,
      changes: { name: { from: "Won't do", to: 'Dropped' } },
    });
    step();
    await owner.api.projects.states.remove({ stateId: state.id });
    expected.push({ type: 'state.deleted', data: renamedState });
    step();
    const task = await owner.api.tasks.create({ projectId: project.id, title: 'Write docs' });
    expected.push({ type: 'task.created', data: task });
    step();
    const updated = await owner.api.tasks.update({
      taskId: task.id,
      expectedVersion: task.version,
      patch: { status: 'in_progress', priority: 2 },
    });
    expected.push({
      type: 'task.updated',
      data: updated,
      changes: {
        status: { from: 'todo', to: 'in_progress' },
        stateId: { from: task.stateId, to: updated.stateId },
        priority: { from: 0, to: 2 },
      },
    });
    step();
    const other = await owner.api.tasks.create({ projectId: project.id, title: 'Review docs' });
    expected.push({ type: 'task.created', data: other });
    const relation = {
      type: 'blocks',
      taskId: task.id,
      taskKey: task.key,
      otherTaskId: other.id,
      otherTaskKey: other.key,
    };
    step();
    await owner.api.tasks.relations.add({ taskId: task.id, type: 'blocks', otherTaskId: other.id });
    expected.push({ type: 'task.relation_added', data: relation });
    step();
    await owner.api.tasks.relations.remove({
      taskId: task.id,
      type: 'blocks',
      otherTaskId: other.id,
    });
    expected.push({ type: 'task.relation_removed', data: relation });
    step();
    // Reminders: the scheduler's passes (notifications/reminders.ts), 24 hours ahead, then late.
    const dueAt = new Date(clock.now().getTime() + 60 * 60 * 1000).toISOString();
    const due = await owner.api.tasks.create({ projectId: project.id, title: 'Renew', dueAt });
    expected.push({ type: 'task.created', data: due });
    step();
    await runReminders(harness.db, clock.now(), { limit: 10 });
    expected.push({ type: 'task.due_soon', data: due });
    clock.advance(2 * 60 * 60 * 1000);
    await runReminders(harness.db, clock.now(), { limit: 10 });
    expected.push({ type: 'task.overdue', data: due });
    step();
    // Attachments: recorded by the server's upload route once the file is stored, listed
    // and deleted as procedures.
    const attachment = await recordAttachment(
      harness.db,
      () => clock.now(),
      {
        id: newId(),
        workspaceId,
        taskId: due.id,
        commentId: null,
        filename: 'notes.txt',
        contentType: 'text/plain',
        size: 5,
        sha256: 'a'.repeat(64),
        storageKey: newId(),
        previewKey: null,
        actor: { userId: owner.user.id, apiTokenId: null },
      },
      1_000_000,
    );
    expect(await owner.api.attachments.list({ taskId: due.id })).toEqual([attachment]);
    expected.push({ type: 'attachment.created', data: attachment });
    step();
    await owner.api.attachments.delete({ attachmentId: attachment.id });
    expected.push({ type: 'attachment.deleted', data: attachment });
    step();
    // Views: a personal one is no event; a shared one is, through its life.
    await owner.api.views.create({ workspaceId, name: 'Mine', filters: {} });
    step();
    const view = await owner.api.views.create({
      workspaceId,
      name: 'Team',
      shared: true,
      filters: { label: 'bug' },
    });
    expected.push({ type: 'view.created', data: view });
    step();
    const reordered = await owner.api.views.update({ viewId: view.id, order: 'asc' });
    expected.push({
      type: 'view.updated',
      data: reordered,
      changes: { order: { from: 'desc', to: 'asc' } },
    });
    step();
    await owner.api.views.delete({ viewId: view.id });
    expected.push({ type: 'view.deleted', data: reordered });
    step();
    const comment = await owner.api.comments.create({ taskId: task.id, body: 'First draft' });
    expected.push({ type: 'comment.created', data: comment });
    step();
    const edited = await owner.api.comments.update({ commentId: comment.id, body: 'Second' });
    expected.push({ type: 'comment.updated', data: edited });
    step();
    await owner.api.comments.delete({ commentId: comment.id });
    expected.push({ type: 'comment.deleted', data: edited });
    step();
    const lastSeen = await owner.api.tasks.get({ taskId: task.id });
    await owner.api.tasks.delete({ taskId: task.id });
    // Events carry the task as every procedure but tasks.get answers it.
    const {
      parent: _p,
      children: _c,
      relations: _r,
      mentions: _m,
      watcherIds: _w,
      ...deletedTask
    } = lastSeen;
    expected.push({ type: 'task.deleted', data: deletedTask });
    step();
    // Back from the trash, and deleted again (the log keeps both).
    const restored = await owner.api.tasks.restore({ taskId: task.id });
    expected.push({ type: 'task.restored', data: restored });
    await owner.api.tasks.delete({ taskId: task.id });
    expected.push({ type: 'task.deleted', data: restored });

    step();
    const { inviteToken } = await owner.api.members.invite({
      workspaceId,
      email: joiner.email,
      role: 'member',
    });
    await joiner.api.members.acceptInvite({ inviteToken });
    const members = await owner.api.members.list({ workspaceId });
    const joined = members.find((m) => m.userId === joiner.user.id);
    expected.push({ type: 'member.joined', data: joined });
    step();
    const promoted = await owner.api.members.updateRole({
      workspaceId,
      userId: joiner.user.id,
      role: 'viewer',
    });
    expected.push({
      type: 'member.role_changed',
      data: promoted,
      changes: { role: { from: 'member', to: 'viewer' } },
    });
    step();
    await owner.api.members.remove({ workspaceId, userId: joiner.user.id });
    expected.push({ type: 'member.removed', data: promoted });
    step();
    const leaving = (await owner.api.members.list({ workspaceId })).find(
      (m) => m.userId === leaver.user.id,
    );
    await leaver.api.members.leave({ workspaceId });
    expected.push({ type: 'member.left', data: leaving });

    step();
    const token = await admin.api.apiTokens.create({ workspaceId, name: 'CI', scope: 'write' });
    const demoted = await owner.api.members.updateRole({
      workspaceId,
      userId: admin.user.id,
      role: 'member',
    });
    expected.push({
      type: 'member.role_changed',
      data: demoted,
      changes: { role: { from: 'admin', to: 'member' } },
    });
    expected.push({
      type: 'api_token.revoked',
      data: {
        tokenId: token.id,
        name: 'CI',
        createdBy: { userId: admin.user.id, name: 'Adam Admin' },
        reason: 'creator_role_changed',
      },
    });
    step();
    const archived = await owner.api.projects.archive({ projectId: project.id });
    expected.push({ type: 'project.archived', data: archived });

    const events = await allEvents(owner.api, workspaceId, 5);
    // Every type of the contract, at least once.
    expect(new Set(events.map((event) => event.type))).toEqual(new Set(LOG_EVENT_TYPES));
    expect(
      events.map((event) => ({
        type: event.type,
        data: event.data,
        ...('changes' in event && { changes: event.changes }),
      })),
    ).toEqual(expected);
    for (const event of events) {
      expect(logEventOutput.parse(event)).toEqual(event);
      expect(event.workspaceId).toBe(workspaceId);
    }
    const byJoiner = events.find((event) => event.type === 'member.joined');
    expect(byJoiner?.actor).toEqual({ userId: joiner.user.id, name: 'Jo Joiner' });
    const byOwner = events.find((event) => event.type === 'task.created');
    expect(byOwner?.actor).toEqual({ userId: owner.user.id, name: 'Olive Owner' });
    // An event's time is its change's: the task's creation time, the edit's updatedAt.
    expect(byOwner?.timestamp).toBe(task.createdAt);
    expect(events.find((e) => e.type === 'comment.updated')?.timestamp).toBe(edited.updatedAt);
  });

  it('is open to viewers and to read-only API tokens', async () => {
    const owner = await harness.signUpUser('Olive Owner');
    const viewer = await harness.signUpUser('Vic Viewer');
    const { workspaceId } = await workspaceWithProject(owner);
    await harness.addMember(workspaceId, viewer.user.id, 'viewer');
    const { token } = await owner.api.apiTokens.create({ workspaceId, name: 'Bot', scope: 'read' });
    const byViewer = await viewer.api.events.list({ workspaceId });
    const byToken = await harness.as(token).events.list({ workspaceId });
    expect(byViewer.items.map((e) => e.type)).toEqual(['project.created']);
    expect(byToken).toEqual(byViewer);
  });
});
