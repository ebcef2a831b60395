import { createApiToken } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import { rejection } from './test/harness.js';
import { matrixCells, outcomeOf, PROCEDURES, procedureType } from './test/permission-cells.js';
import {
  account,
  type InputAt,
  inProject,
  inWorkspace,
  noInput,
  onAttachment,
  onComment,
  onTask,
  onView,
  onWebhook,
  type ProcedurePath,
  type ProcedureRecord,
  publicRow,
  type Row,
  workspace,
} from './test/permission-table.js';

// The permission matrix: every procedure of the router, called by every kind of caller,
// each answer checked against the one table below. A procedure added without a row (or a
// row left behind by a removed procedure) fails the first test.

/**
 * THE TABLE: who gets what from every procedure. 401 = UNAUTHORIZED, 403 = FORBIDDEN,
 * 404 = NOT_FOUND (a non-member, or a token of another workspace, must not learn that the
 * workspace exists). API tokens act as viewer (read) or member (write), never mutate when
 * read-only, and never manage members, tokens or the workspace itself.
 *
 * members.leave as owner is 'ok' because every fixture has a second owner; the last owner
 * leaving gets CONFLICT instead (tested in members' own tests, not here).
 *
 * Comments: only the author edits (not even the owner edits another's words), and the
 * author or an admin deletes. The fixture's comment is the member's. A write token acts
 * with the member role on behalf of its creator, the owner: neither the comment's author
 * nor an admin, so it may do neither.
 *
 * A subscription is 'ok' when it starts: access is checked when subscribing.
 */
// biome-ignore format: the columns stay aligned under their headings
const TABLE: { [P in ProcedurePath]: Row<InputAt<ProcedureRecord, P>> } = {
  'auth.signUp': publicRow('mutation'),
  'auth.signIn': publicRow('mutation'),
  'auth.verifyEmail': publicRow('mutation'),
  'auth.requestPasswordReset': publicRow('mutation'),
  'auth.resetPassword': publicRow('mutation'),
  'notifications.unsubscribe': publicRow('mutation'),

  //                                         anon  read  write foreign
  'auth.signOut':           account('mutation', [401, 403, 403, 403], () => ({})),
  'auth.signOutEverywhere': account('mutation', [401, 403, 403, 403], () => ({})),
  'auth.me':                account('query',    [401, 403, 403, 403], noInput),
  'imports.get':            account('query',    [401, 403, 403, 403], () => ({ jobId: 'no-such-job' })),
  'auth.sessions.list':     account('query',    [401, 403, 403, 403], noInput),
  'auth.sessions.revoke':   account('mutation', [401, 403, 403, 403],
    (f) => ({ sessionId: f.spareSessionId })),
  'auth.resendVerification': account('mutation', [401, 403, 403, 403], () => ({})),
  'auth.updateProfile':   account('mutation', [401, 403, 403, 403], () => ({ name: 'Renamed Person' })),
  'auth.changePassword':    account('mutation', [401, 403, 403, 403],
    () => ({ currentPassword: 'correct horse battery staple', newPassword: 'another good password' })),
  'auth.changeEmail':       account('mutation', [401, 403, 403, 403],
    (f) => ({ newEmail: f.freshEmail, currentPassword: 'correct horse battery staple' })),
  'workspaces.create':      account('mutation', [401, 403, 403, 403],
    (f) => ({ name: 'Another', slug: f.freshSlug })),
  'workspaces.list':        account('query',    [401, 403, 403, 403], noInput),
  'members.acceptInvite':   account('mutation', [401, 403, 403, 403],
    (f) => ({ inviteToken: f.inviteToken })),
  'notifications.list':     account('query',    [401, 403, 403, 403], () => ({})),
  'notifications.unreadCount': account('query', [401, 403, 403, 403], noInput),
  'notifications.markRead': account('mutation', [401, 403, 403, 403], () => ({ all: true as const })),
  'notifications.onNew':    account('subscription', [401, 403, 403, 403], () => ({})),
  'notifications.preferences.get': account('query', [401, 403, 403, 403], noInput),
  'notifications.preferences.update': account('mutation', [401, 403, 403, 403],
    () => ({ kinds: { commented: false } })),

  //                                                 anon outsider viewer member admin owner read write foreign
  'workspaces.get':       workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'workspaces.update':    workspace('mutation',     [401, 404, 403,  403,  403,  'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, name: 'Renamed' })),
  'workspaces.delete':    workspace('mutation',     [401, 404, 403,  403,  403,  'ok', 403,  403,  404], inWorkspace),

  'members.list':         workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'members.invite':       workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, email: f.freshEmail, role: 'member' })),
  'members.invites':      workspace('query',        [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inWorkspace),
  'members.revokeInvite': workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, inviteId: f.inviteId })),
  'members.updateRole':   workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, userId: f.victimId, role: 'viewer' })),
  'members.remove':       workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, userId: f.victimId })),
  'members.leave':        workspace('mutation',     [401, 404, 'ok', 'ok', 'ok', 'ok', 403,  403,  404], inWorkspace),

  'apiTokens.create':     workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, name: 'CI', scope: 'read' })),
  'apiTokens.list':       workspace('query',        [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inWorkspace),
  'apiTokens.revoke':     workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, tokenId: f.spareTokenId })),

  'projects.create':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, name: 'Another', key: 'NEW' })),
  'projects.list':        workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'projects.get':         workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inProject),
  'projects.update':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ projectId: f.projectId, name: 'Renamed' })),
  'projects.archive':     workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inProject),
  'projects.states.list': workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inProject),
  'projects.states.add':  workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ projectId: f.projectId, name: 'In Review', category: 'started' })),
  'projects.states.rename': workspace('mutation',   [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ stateId: f.stateId, name: 'Icebox' })),
  'projects.states.reorder': workspace('mutation',  [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ projectId: f.projectId, stateIds: f.stateIds })),
  'projects.states.remove': workspace('mutation',   [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ stateId: f.stateId })),

  'tasks.create':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ projectId: f.projectId, title: 'Another task' })),
  'tasks.get':            workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], onTask),
  'tasks.list':           workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, projectId: f.projectId })),
  'tasks.update':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.taskId, expectedVersion: 1, patch: { priority: 3 } })),
  'tasks.delete':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404], onTask),
  'tasks.restore':        workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.trashedTaskId })),
  'tasks.bulkUpdate':     workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, taskIds: [f.taskId], patch: { priority: 3 } })),
  'tasks.bulkDelete':     workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, taskIds: [f.otherTaskId] })),
  'tasks.relations.add':  workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.taskId, type: 'blocks', otherTaskId: f.otherTaskId })),
  'tasks.relations.remove': workspace('mutation',   [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.taskId, type: 'relates', otherTaskId: f.otherTaskId })),
  'tasks.watch':          workspace('mutation',     [401, 404, 'ok', 'ok', 'ok', 'ok', 403,  403,  404], onTask),
  'tasks.unwatch':        workspace('mutation',     [401, 404, 'ok', 'ok', 'ok', 'ok', 403,  403,  404], onTask),
  'tasks.onChange':       workspace('subscription', [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),

  // Views: anyone in the workspace saves a personal view; the fixture's view is the
  // member's and shared, so only its owner (the member) and admins change it.
  'views.create':         workspace('mutation',     [401, 404, 'ok', 'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, name: 'Mine', filters: { status: ['todo'] } })),
  'views.list':           workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'views.get':            workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], onView),
  'views.update':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  403,  404],
    (f) => ({ viewId: f.viewId, name: 'Renamed' })),
  'views.delete':         workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  403,  404], onView),

  'comments.create':      workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  'ok', 404],
    (f) => ({ taskId: f.taskId, body: 'Agreed.' })),
  'comments.list':        workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], onTask),
  'comments.update':      workspace('mutation',     [401, 404, 403,  'ok', 403,  403,  403,  403,  404],
    (f) => ({ commentId: f.commentId, body: 'Edited.' })),
  'comments.delete':      workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  403,  404], onComment),

  // Attachments: the fixture's is the member's; its uploader or an admin deletes it (a
  // write token acts for the owner as a member: neither). Uploads and downloads are REST
  // routes with the same guards (apps/server/test/attachments.test.ts).
  'attachments.list':     workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], onTask),
  'attachments.delete':   workspace('mutation',     [401, 404, 403,  'ok', 'ok', 'ok', 403,  403,  404], onAttachment),

  'activity.list':        workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'search.tasks':         workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404],
    (f) => ({ workspaceId: f.workspaceId, q: 'matrix' })),
  'stats.overview':       workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),

  'events.list':          workspace('query',        [401, 404, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 404], inWorkspace),
  'webhooks.create':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ workspaceId: f.workspaceId, url: 'http://127.0.0.1:9/another' })),
  'webhooks.list':        workspace('query',        [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], inWorkspace),
  'webhooks.update':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ webhookId: f.webhookId, enabled: false })),
  'webhooks.rotateSecret': workspace('mutation',    [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], onWebhook),
  'webhooks.delete':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], onWebhook),
  'webhooks.test':        workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], onWebhook),
  'webhooks.deliveries':  workspace('query',        [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404], onWebhook),
  'webhooks.redeliver':   workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ deliveryId: f.deliveryId })),
  'webhooks.replay':      workspace('mutation',     [401, 404, 403,  403,  'ok', 'ok', 403,  403,  404],
    (f) => ({ webhookId: f.webhookId, fromEventId: f.eventId })),
};

const ROWS: ReadonlyArray<[string, Row<unknown>]> = Object.entries(TABLE);

const matrix = matrixCells();
const { createFixture, apiFor, stateOf } = matrix;

describe('the permission table', () => {
  it('has exactly one row per procedure of appRouter', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(PROCEDURES).sort());
  });

  it.each(ROWS.map(([path, { type }]) => [path, type]))('%s is a %s', (path, type) => {
    expect(procedureType(path)).toBe(type);
  });
});

describe('permission matrix', () => {
  for (const [path, { input, cells }] of ROWS) {
    for (const { caller, expected } of cells) {
      it(`${path} as ${caller} → ${expected}`, async () => {
        const fixture = await createFixture();
        const before = await stateOf(fixture);

        const actual = await outcomeOf(apiFor(caller, fixture), path, input(fixture));

        expect(actual, `${path} as ${caller}`).toBe(expected);
        if (actual !== 'ok') {
          expect(await stateOf(fixture), 'a refused call must change nothing').toEqual(before);
        }
      });
    }
  }
});

describe('role changes apply to the very next request', () => {
  it('an admin demoted to viewer can no longer invite', async () => {
    const { workspaceId } = await createFixture();
    const admin = matrix.people.admin.api;
    await admin.members.invite({ workspaceId, email: 'before@example.com', role: 'member' });

    await matrix.people.owner.api.members.updateRole({
      workspaceId,
      userId: matrix.people.admin.user.id,
      role: 'viewer',
    });

    const error = await rejection(
      admin.members.invite({ workspaceId, email: 'after@example.com', role: 'member' }),
    );
    expect(error.code).toBe('FORBIDDEN');
  });

  it('a removed member no longer finds the workspace', async () => {
    const { workspaceId } = await createFixture();
    const victim = matrix.people.victim.api;
    await victim.workspaces.get({ workspaceId });

    await matrix.people.owner.api.members.remove({
      workspaceId,
      userId: matrix.people.victim.user.id,
    });

    const error = await rejection(victim.workspaces.get({ workspaceId }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('a token stops working for good as soon as its creator is no longer an admin', async () => {
    const { workspaceId } = await createFixture();
    const { token } = await createApiToken(matrix.harness.db, {
      workspaceId,
      name: 'made by the admin',
      scope: 'write',
      createdBy: matrix.people.admin.user.id,
      expiresAt: null,
    });
    await matrix.harness.as(token).workspaces.get({ workspaceId });

    await matrix.people.owner.api.members.updateRole({
      workspaceId,
      userId: matrix.people.admin.user.id,
      role: 'member',
    });

    const error = await rejection(matrix.harness.as(token).workspaces.get({ workspaceId }));
    expect(error.code).toBe('UNAUTHORIZED');

    // Revoked, not suspended: promoting the creator again does not bring it back.
    await matrix.people.owner.api.members.updateRole({
      workspaceId,
      userId: matrix.people.admin.user.id,
      role: 'admin',
    });
    const still = await rejection(matrix.harness.as(token).workspaces.get({ workspaceId }));
    expect(still.code).toBe('UNAUTHORIZED');
  });
});
