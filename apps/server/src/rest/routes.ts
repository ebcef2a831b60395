// The REST face of the procedures: one row per query or mutation, mapped onto a
// resource-style path under /api/v1. Path parameters and the query string (GET) or JSON
// body (everything else) are merged into the procedure's input, so a route's body is the
// procedure's input minus its path parameters. The OpenAPI document and the docs page
// are generated from this table too.

/** An HTTP method REST routes use. */
export type RestMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Who may call the procedure, as its builder in packages/api/src/trpc.ts says: `public`
 * (publicProcedure), `signedIn` (protectedProcedure: people, not API tokens) or
 * `workspace` (workspaceProcedure, workspaceUserProcedure).
 */
export type RestAccess = 'public' | 'signedIn' | 'workspace';

/** Error statuses a procedure answers of its own accord, beyond what its kind implies. */
export type OwnStatus = 400 | 401 | 403 | 404 | 409 | 503;

/** One REST route and the procedure behind it. */
export interface RestRoute {
  method: RestMethod;
  /** OpenAPI-style template below /api/v1, e.g. `/tasks/{taskId}`. */
  path: string;
  /** The tRPC procedure path, e.g. `tasks.get`. */
  procedure: string;
  summary: string;
  tag: RestTag;
  /** The success status: 201 for creates, 200 otherwise (deletes answer `{ok: true}`). */
  status: 200 | 201;
  access: RestAccess;
  /**
   * What the procedure itself answers (statuses.ts adds what its access, kind and rate
   * limits imply): 400 for a wrong current password, 401 for a wrong password on sign-in, 404 for an unknown thing named in
   * the body, 409 for a duplicate, a stale version, the last owner, an archived project,
   * 503 for a server that does not send what the procedure sends (webhooks).
   */
  answers?: readonly OwnStatus[];
}

/** Groups of routes in the document, in reading order, with what each is about. */
export const REST_TAGS = {
  auth: 'Accounts, sign-in and sessions.',
  workspaces: 'Workspaces the caller belongs to.',
  members: 'Members and invites (admins manage them).',
  apiTokens: 'API tokens for programs (admins manage them).',
  projects: 'Projects group tasks and give them their key (`ENG-12`).',
  tasks: 'Tasks: create, list with filters and cursors, update with optimistic versions.',
  views: 'Saved views: named tasks.list filters and sort, personal or shared.',
  comments: 'Comments on tasks, stored and returned verbatim.',
  attachments:
    'Files attached to tasks and comments: uploaded and downloaded as streams, listed and deleted here.',
  activity: 'The append-only log of who did what when.',
  imports: 'Import jobs: the progress and result of workspace and CSV imports.',
  events: 'The events webhooks deliver, typed, in log order: for programs that pull instead.',
  webhooks:
    'Webhook endpoints (admins): signed per Standard Webhooks, retried, replayable from the log.',
  search: 'Full-text search over tasks and their comments.',
  stats: 'Dashboard numbers.',
  notifications:
    "The caller's inbox across their workspaces: assigned, mentioned, watched tasks' comments and status changes, due dates (people only).",
} as const;

/** The name of a group of routes. */
export type RestTag = keyof typeof REST_TAGS;

type Row = [RestMethod, string, string, string, Partial<RestRoute>?];

const tag = (name: RestTag, access: RestAccess, rows: Row[]): RestRoute[] =>
  rows.map(([method, path, procedure, summary, extra]) => ({
    method,
    path,
    procedure,
    summary,
    tag: name,
    status: 200,
    access,
    ...extra,
  }));

const created = { status: 201 } as const;
const open = { access: 'public' } as const;
const conflicts = { answers: [409] } as const;

/** Every REST route, in documentation order. */
export const REST_ROUTES: readonly RestRoute[] = [
  ...tag('auth', 'signedIn', [
    [
      'POST',
      '/auth/sign-up',
      'auth.signUp',
      'Create an account and sign in',
      { ...created, ...open, ...conflicts },
    ],
    [
      'POST',
      '/auth/sign-in',
      'auth.signIn',
      'Sign in with email and password',
      { ...open, answers: [401] },
    ],
    ['POST', '/auth/sign-out', 'auth.signOut', 'End this session'],
    [
      'POST',
      '/auth/sign-out-everywhere',
      'auth.signOutEverywhere',
      'End every session of this account',
    ],
    ['GET', '/me', 'auth.me', 'Who is signed in, and their workspaces'],
    [
      'PATCH',
      '/me/profile',
      'auth.updateProfile',
      'Change my name and/or handle (how others mention me); a taken handle is a 409',
      conflicts,
    ],
    ['GET', '/me/sessions', 'auth.sessions.list', 'List my sessions'],
    ['DELETE', '/me/sessions/{sessionId}', 'auth.sessions.revoke', 'End one of my sessions'],
    [
      'POST',
      '/auth/verify-email',
      'auth.verifyEmail',
      'Verify an email address (or confirm an email change) with the token from the mailed link',
      { ...open, ...conflicts },
    ],
    [
      'POST',
      '/auth/resend-verification',
      'auth.resendVerification',
      'Mail a new verification link to my address',
      conflicts,
    ],
    [
      'POST',
      '/auth/request-password-reset',
      'auth.requestPasswordReset',
      'Mail a password-reset link (the same answer whether or not the email has an account)',
      open,
    ],
    [
      'POST',
      '/auth/reset-password',
      'auth.resetPassword',
      'Choose a new password with the token from the mailed link (ends every session)',
      open,
    ],
    [
      'POST',
      '/me/password',
      'auth.changePassword',
      'Change my password (ends my other sessions)',
      // A wrong current password: a field error, counted against the rate limit.
      { answers: [400] },
    ],
    [
      'POST',
      '/me/email',
      'auth.changeEmail',
      'Change my email: mails a confirmation link to the new address',
      { answers: [400, 409] },
    ],
  ]),
  ...tag('workspaces', 'workspace', [
    [
      'POST',
      '/workspaces',
      'workspaces.create',
      'Create a workspace (you become its owner)',
      { ...created, ...conflicts, access: 'signedIn' },
    ],
    [
      'GET',
      '/workspaces',
      'workspaces.list',
      'List my workspaces with my role',
      { access: 'signedIn' },
    ],
    ['GET', '/workspaces/{workspaceId}', 'workspaces.get', 'Get a workspace'],
    ['PATCH', '/workspaces/{workspaceId}', 'workspaces.update', 'Rename a workspace (owner)'],
    [
      'DELETE',
      '/workspaces/{workspaceId}',
      'workspaces.delete',
      'Delete a workspace and everything in it (owner)',
    ],
  ]),
  ...tag('members', 'workspace', [
    ['GET', '/workspaces/{workspaceId}/members', 'members.list', 'List members'],
    [
      'PATCH',
      '/workspaces/{workspaceId}/members/{userId}',
      'members.updateRole',
      "Change a member's role (admin)",
      conflicts,
    ],
    [
      'DELETE',
      '/workspaces/{workspaceId}/members/{userId}',
      'members.remove',
      'Remove a member (admin)',
      conflicts,
    ],
    ['POST', '/workspaces/{workspaceId}/leave', 'members.leave', 'Leave a workspace', conflicts],
    [
      'POST',
      '/workspaces/{workspaceId}/invites',
      'members.invite',
      'Invite someone by email (admin)',
      { ...created, ...conflicts },
    ],
    ['GET', '/workspaces/{workspaceId}/invites', 'members.invites', 'List pending invites (admin)'],
    [
      'DELETE',
      '/workspaces/{workspaceId}/invites/{inviteId}',
      'members.revokeInvite',
      'Revoke a pending invite (admin)',
    ],
    [
      'POST',
      '/invites/accept',
      'members.acceptInvite',
      'Accept an invite sent to my email',
      { ...created, access: 'signedIn', answers: [404, 409] },
    ],
  ]),
  ...tag('apiTokens', 'workspace', [
    [
      'POST',
      '/workspaces/{workspaceId}/api-tokens',
      'apiTokens.create',
      'Create an API token (admin; the token is shown once)',
      created,
    ],
    ['GET', '/workspaces/{workspaceId}/api-tokens', 'apiTokens.list', 'List API tokens (admin)'],
    [
      'DELETE',
      '/workspaces/{workspaceId}/api-tokens/{tokenId}',
      'apiTokens.revoke',
      'Revoke an API token (admin)',
    ],
  ]),
  ...tag('imports', 'signedIn', [
    [
      'GET',
      '/imports/{jobId}',
      'imports.get',
      "An import job's progress and result (its starter only)",
    ],
  ]),
  ...tag('projects', 'workspace', [
    [
      'POST',
      '/workspaces/{workspaceId}/projects',
      'projects.create',
      'Create a project (admin)',
      { ...created, ...conflicts },
    ],
    ['GET', '/workspaces/{workspaceId}/projects', 'projects.list', 'List projects'],
    ['GET', '/projects/{projectId}', 'projects.get', 'Get a project'],
    ['PATCH', '/projects/{projectId}', 'projects.update', 'Rename a project (admin)'],
    [
      'POST',
      '/projects/{projectId}/archive',
      'projects.archive',
      'Archive a project (admin; idempotent)',
    ],
    [
      'GET',
      '/projects/{projectId}/states',
      'projects.states.list',
      "List a project's workflow states",
    ],
    [
      'POST',
      '/projects/{projectId}/states',
      'projects.states.add',
      'Add a workflow state (admin)',
      { ...created, ...conflicts },
    ],
    [
      'PATCH',
      '/states/{stateId}',
      'projects.states.rename',
      'Rename a workflow state (admin)',
      conflicts,
    ],
    [
      'POST',
      '/projects/{projectId}/states/reorder',
      'projects.states.reorder',
      "Reorder a project's workflow states (admin)",
    ],
    [
      'DELETE',
      '/states/{stateId}',
      'projects.states.remove',
      'Remove a workflow state, moving its tasks to moveToStateId (admin)',
    ],
  ]),
  ...tag('tasks', 'workspace', [
    [
      'POST',
      '/projects/{projectId}/tasks',
      'tasks.create',
      'Create a task',
      { ...created, ...conflicts },
    ],
    [
      'GET',
      '/workspaces/{workspaceId}/tasks',
      'tasks.list',
      'List tasks (filters, sort, cursor), or the trash with trashed=true',
    ],
    ['GET', '/tasks/{taskId}', 'tasks.get', 'Get a task'],
    ['PATCH', '/tasks/{taskId}', 'tasks.update', 'Update a task at an expected version', conflicts],
    [
      'DELETE',
      '/tasks/{taskId}',
      'tasks.delete',
      'Move a task to the trash (with its sub-tasks only when the body says cascade: true)',
      conflicts,
    ],
    [
      'POST',
      '/workspaces/{workspaceId}/tasks/bulk-update',
      'tasks.bulkUpdate',
      'Change up to 500 tasks at once, all or none',
      conflicts,
    ],
    [
      'POST',
      '/workspaces/{workspaceId}/tasks/bulk-delete',
      'tasks.bulkDelete',
      'Move up to 500 tasks to the trash at once, all or none',
      conflicts,
    ],
    [
      'POST',
      '/tasks/{taskId}/restore',
      'tasks.restore',
      'Restore a task from the trash, with the sub-tasks trashed with it',
      conflicts,
    ],
    [
      'POST',
      '/tasks/{taskId}/relations',
      'tasks.relations.add',
      'Relate a task to another (blocks, relates, duplicates); refuses a blocking cycle',
      conflicts,
    ],
    [
      'DELETE',
      '/tasks/{taskId}/relations/{type}/{otherTaskId}',
      'tasks.relations.remove',
      'Remove a relation between two tasks',
    ],
    [
      'POST',
      '/tasks/{taskId}/watch',
      'tasks.watch',
      'Watch a task: hear of its comments and state changes (people only, viewer and up)',
    ],
    ['DELETE', '/tasks/{taskId}/watch', 'tasks.unwatch', 'Stop watching a task'],
  ]),
  ...tag('views', 'workspace', [
    [
      'POST',
      '/workspaces/{workspaceId}/views',
      'views.create',
      'Save a view (personal; shared needs member)',
      { ...created, ...conflicts },
    ],
    ['GET', '/workspaces/{workspaceId}/views', 'views.list', 'List my views and the shared ones'],
    ['GET', '/views/{viewId}', 'views.get', 'Get a view (mine, or shared)'],
    [
      'PATCH',
      '/views/{viewId}',
      'views.update',
      'Change a view (its owner; an admin for a shared one)',
      conflicts,
    ],
    [
      'DELETE',
      '/views/{viewId}',
      'views.delete',
      'Delete a view (its owner; an admin for a shared one)',
    ],
  ]),
  ...tag('comments', 'workspace', [
    ['POST', '/tasks/{taskId}/comments', 'comments.create', 'Comment on a task', created],
    ['GET', '/tasks/{taskId}/comments', 'comments.list', "List a task's comments, oldest first"],
    ['PATCH', '/comments/{commentId}', 'comments.update', 'Edit my comment'],
    [
      'DELETE',
      '/comments/{commentId}',
      'comments.delete',
      'Delete a comment (its author or an admin)',
    ],
  ]),
  ...tag('attachments', 'workspace', [
    [
      'GET',
      '/tasks/{taskId}/attachments',
      'attachments.list',
      "List a task's attachments, oldest first",
    ],
    [
      'DELETE',
      '/tasks/{taskId}/attachments/{attachmentId}',
      'attachments.delete',
      'Delete an attachment (its uploader or an admin)',
    ],
  ]),
  ...tag('activity', 'workspace', [
    [
      'GET',
      '/workspaces/{workspaceId}/activity',
      'activity.list',
      'Read the activity log, newest first',
    ],
  ]),
  ...tag('events', 'workspace', [
    [
      'GET',
      '/workspaces/{workspaceId}/events',
      'events.list',
      'Read events after an event id, oldest first',
      // An `after` this workspace never issued.
      { answers: [400] },
    ],
  ]),
  ...tag('webhooks', 'workspace', [
    [
      'POST',
      '/workspaces/{workspaceId}/webhooks',
      'webhooks.create',
      'Add a webhook endpoint (admin; the signing secret is shown once)',
      // 409: the workspace has its 20 endpoints already.
      { ...created, answers: [409, 503] },
    ],
    [
      'GET',
      '/workspaces/{workspaceId}/webhooks',
      'webhooks.list',
      'List webhook endpoints (admin)',
    ],
    [
      'PATCH',
      '/webhooks/{webhookId}',
      'webhooks.update',
      'Change, disable or enable again an endpoint (admin)',
      { answers: [503] },
    ],
    [
      'POST',
      '/webhooks/{webhookId}/rotate-secret',
      'webhooks.rotateSecret',
      'New signing secret, shown once; the old one signs too for 24 hours (admin)',
    ],
    ['DELETE', '/webhooks/{webhookId}', 'webhooks.delete', 'Delete an endpoint (admin)'],
    [
      'POST',
      '/webhooks/{webhookId}/test',
      'webhooks.test',
      'Send a `webhook.ping` event now and answer the delivery (admin)',
      { answers: [503] },
    ],
    [
      'GET',
      '/webhooks/{webhookId}/deliveries',
      'webhooks.deliveries',
      "An endpoint's delivery attempts, newest first (admin)",
    ],
    [
      'POST',
      '/webhook-deliveries/{deliveryId}/redeliver',
      'webhooks.redeliver',
      "Send a delivery's event again now (admin)",
      // 404 also when the delivery's event is no longer in the log.
      { answers: [404, 503] },
    ],
    [
      'POST',
      '/webhooks/{webhookId}/replay',
      'webhooks.replay',
      'Send every event again from an event still in the log, in order (admin)',
      // 400: `fromEventId` is not an event of this workspace.
      { answers: [400] },
    ],
  ]),
  ...tag('search', 'workspace', [
    ['GET', '/workspaces/{workspaceId}/search', 'search.tasks', 'Search tasks and comments'],
  ]),
  ...tag('stats', 'workspace', [
    [
      'GET',
      '/workspaces/{workspaceId}/stats',
      'stats.overview',
      'Counts by status, priority, assignee and day',
    ],
  ]),
  ...tag('notifications', 'signedIn', [
    [
      'GET',
      '/notifications',
      'notifications.list',
      'My notifications, newest first (cursor; unreadOnly=true for the unread ones)',
    ],
    [
      'POST',
      '/notifications/read',
      'notifications.markRead',
      'Mark notifications read: `ids`, or `all: true` (ids not mine are skipped)',
    ],
    ['GET', '/notifications/unread-count', 'notifications.unreadCount', 'How many are unread'],
    [
      'GET',
      '/notifications/preferences',
      'notifications.preferences.get',
      'My notification preferences (the defaults until changed)',
    ],
    [
      'PATCH',
      '/notifications/preferences',
      'notifications.preferences.update',
      'Change some of my notification preferences',
    ],
    [
      'POST',
      '/notifications/unsubscribe',
      'notifications.unsubscribe',
      "Turn email digests off with a digest's unsubscribe token (no sign-in)",
      // 400: a token that names no digest of the last 60 days.
      { ...open, answers: [400] },
    ],
  ]),
];
/** The parameter names of a path template, in order (`/a/{x}/b/{y}` → x, y). */
export function pathParams(path: string): string[] {
  return Array.from(path.matchAll(/\{(\w+)\}/g), (match) => match[1] ?? '');
}

/** The template in Fastify's syntax (`/tasks/{taskId}` → `/tasks/:taskId`). */
export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
