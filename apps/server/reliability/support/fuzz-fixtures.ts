import type { IdPool } from './fuzz-arbitrary.js';

// The fuzzing suite's world: a victim workspace the caller is not a member of, and a fresh
// caller (with a workspace full of rows) per procedure, built through the API itself.

/** Callers' password: in the id pool, so that auth.signIn can succeed. */
const PASSWORD = 'correct horse battery staple';
/** The victims' password: never in the pool, so no generated sign-in becomes theirs. */
const VICTIM_PASSWORD = 'victim secret kept out of every generator';
let counter = 0;

/**
 * Proves a signed-up person owns their address (the suite passes the test server's
 * `verifyEmailByMail`): only a verified address may accept an invite.
 */
export type VerifyEmail = (email: string) => Promise<unknown>;

/** A tRPC call that must succeed during setup (the fuzzing itself goes through fuzz-http). */
async function call<T>(
  baseUrl: string,
  path: string,
  input: unknown,
  token?: string,
  type: 'query' | 'mutation' = 'mutation',
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response =
    type === 'mutation'
      ? await fetch(`${baseUrl}/trpc/${path}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(input),
        })
      : await fetch(
          `${baseUrl}/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
          { headers },
        );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`setup ${path} → ${response.status}: ${text}`);
  return (JSON.parse(text) as { result: { data: T } }).result.data;
}

/** A signed-up person. */
export interface Person {
  id: string;
  email: string;
  handle: string;
  token: string;
  sessionId: string;
}

async function signUp(
  baseUrl: string,
  verify: VerifyEmail,
  role: string,
  password = PASSWORD,
): Promise<Person> {
  counter += 1;
  const email = `${role}-${counter}-${process.pid}@example.com`;
  const { user, session } = await call<{
    user: { id: string; handle: string };
    session: { token: string };
  }>(baseUrl, 'auth.signUp', { email, password, name: `${role} ${counter}` });
  await verify(email);
  const sessions = await call<{ id: string }[]>(
    baseUrl,
    'auth.sessions.list',
    undefined,
    session.token,
    'query',
  );
  return {
    id: user.id,
    email,
    handle: user.handle,
    token: session.token,
    sessionId: sessions[0]?.id ?? '',
  };
}

/** One workspace and the rows in it, as ids. */
export interface WorkspaceRows {
  owner: Person;
  workspaceId: string;
  projectIds: string[];
  /** The first project's workflow states, in order. */
  stateIds: string[];
  taskIds: string[];
  /** Tasks in the trash (tasks.restore's targets). */
  trashedTaskIds: string[];
  commentIds: string[];
  /** A personal and a shared view of the owner's (views.*). */
  viewIds: string[];
  /** A file the owner attached to task 0 (attachments.*). */
  attachmentIds: string[];
  inviteIds: string[];
  /** Secrets of pending invites, addressed to emails the caller does not have. */
  inviteTokens: string[];
  apiTokenId: string;
  apiToken: string;
  /** The member's notifications from this workspace (assigned task 0): another's inbox. */
  notificationIds: string[];
}

/**
 * A workspace owned by `owner`, with two projects, three tasks (labels, an assignee) and one
 * in the trash, two comments, a pending invite and a write API token; `member` joins it
 * through an invite.
 */
async function populate(baseUrl: string, owner: Person, member: Person): Promise<WorkspaceRows> {
  const as = <T>(path: string, input: unknown, type: 'query' | 'mutation' = 'mutation') =>
    call<T>(baseUrl, path, input, owner.token, type);
  counter += 1;
  const workspace = await as<{ id: string }>('workspaces.create', {
    name: `Workspace ${counter}`,
    slug: `ws-${counter}-${process.pid}`,
  });
  const workspaceId = workspace.id;
  const joining = await as<{ inviteToken: string }>('members.invite', {
    workspaceId,
    email: member.email,
    role: 'member',
  });
  await call(baseUrl, 'members.acceptInvite', { inviteToken: joining.inviteToken }, member.token);
  const pending = await as<{ inviteToken: string }>('members.invite', {
    workspaceId,
    email: `outsider-${counter}@example.com`,
    role: 'admin',
  });
  const invites = await as<{ id: string }[]>('members.invites', { workspaceId }, 'query');
  const projectIds: string[] = [];
  for (const key of ['ALPHA', 'BETA']) {
    projectIds.push(
      (await as<{ id: string }>('projects.create', { workspaceId, name: key, key })).id,
    );
  }
  const states = await as<{ id: string }[]>(
    'projects.states.list',
    { projectId: projectIds[0] },
    'query',
  );
  const taskIds: string[] = [];
  for (const [index, projectId] of [projectIds[0], projectIds[0], projectIds[1]].entries()) {
    const task = await as<{ id: string }>('tasks.create', {
      projectId,
      title: `Task ${index}`,
      labels: ['bug', `l${index}`],
      assigneeId: index === 0 ? member.id : null,
      priority: index,
    });
    taskIds.push(task.id);
  }
  const trashed = await as<{ id: string }>('tasks.create', {
    projectId: projectIds[1],
    title: 'Trashed',
    labels: ['gone'],
  });
  await as('tasks.delete', { taskId: trashed.id });
  const commentIds: string[] = [];
  for (const body of ['first', 'second']) {
    commentIds.push((await as<{ id: string }>('comments.create', { taskId: taskIds[0], body })).id);
  }
  const viewIds: string[] = [];
  for (const shared of [false, true]) {
    const filters = { label: ['bug', 'l1'], assigneeId: [member.id, null] };
    viewIds.push(
      (
        await as<{ id: string }>('views.create', {
          workspaceId,
          name: `View ${shared}`,
          shared,
          filters,
        })
      ).id,
    );
  }
  // Uploads are multipart REST, not a procedure.
  const form = new FormData();
  form.append('file', new Blob(['fuzz'], { type: 'text/plain' }), 'fuzz.txt');
  const uploaded = await fetch(`${baseUrl}/api/v1/tasks/${taskIds[0]}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}` },
    body: form,
  });
  if (uploaded.status !== 201) throw new Error(`attachment upload: ${uploaded.status}`);
  const attachment = (await uploaded.json()) as { id: string };
  const apiToken = await as<{ id: string; token: string }>('apiTokens.create', {
    workspaceId,
    name: 'fuzz',
    scope: 'write',
  });
  const inbox = await call<{ items: { id: string }[] }>(
    baseUrl,
    'notifications.list',
    {},
    member.token,
    'query',
  );
  return {
    owner,
    workspaceId,
    projectIds,
    stateIds: states.map((state) => state.id),
    taskIds,
    trashedTaskIds: [trashed.id],
    commentIds,
    viewIds,
    attachmentIds: [attachment.id],
    inviteIds: invites.map((invite) => invite.id),
    inviteTokens: [pending.inviteToken],
    apiTokenId: apiToken.id,
    apiToken: apiToken.token,
    notificationIds: inbox.items.map((item) => item.id),
  };
}

/** The workspace the caller must never change, and its two members. */
export interface Victim {
  rows: WorkspaceRows;
  members: Person[];
}

/** The helper who joins every caller's workspace (so members.* have someone to act on). */
export interface Bystander {
  person: Person;
}

/** Signs up the victim and a second member, and fills their workspace. */
export async function createVictim(baseUrl: string, verify: VerifyEmail): Promise<Victim> {
  const owner = await signUp(baseUrl, verify, 'victim', VICTIM_PASSWORD);
  const member = await signUp(baseUrl, verify, 'victim-member', VICTIM_PASSWORD);
  const rows = await populate(baseUrl, owner, member);
  return { rows, members: [owner, member] };
}

/**
 * Signs up the bystander, with a password no generator knows: a user keeps at most 30
 * sessions, so generated sign-ins as the bystander would end the session the suite checks
 * it still has.
 */
export async function createBystander(baseUrl: string, verify: VerifyEmail): Promise<Bystander> {
  return { person: await signUp(baseUrl, verify, 'bystander', VICTIM_PASSWORD) };
}

/** A fresh caller for one procedure's run: a new user and a populated workspace of theirs. */
export interface Caller {
  person: Person;
  rows: WorkspaceRows;
  /** The bystander's workspace the caller is a member of (so members.leave can succeed). */
  joinedWorkspaceId: string;
  /** The bystander's workspace the caller is invited to (so acceptInvite can succeed). */
  invitedWorkspaceId: string;
  inviteTokenForCaller: string;
  /** The caller's own notifications (the bystander assigned them a task). */
  notificationIds: string[];
}

/**
 * Signs up a caller, fills a workspace of theirs (the bystander joins it), and makes the
 * bystander's two workspaces: one the caller joined, one it is invited to.
 */
export async function createCaller(
  baseUrl: string,
  bystander: Bystander,
  verify: VerifyEmail,
): Promise<Caller> {
  const person = await signUp(baseUrl, verify, 'caller');
  const rows = await populate(baseUrl, person, bystander.person);
  const host = bystander.person.token;
  const guest = async (role: string) => {
    counter += 1;
    const { id } = await call<{ id: string }>(
      baseUrl,
      'workspaces.create',
      { name: `Guest ${counter}`, slug: `guest-${counter}-${process.pid}` },
      host,
    );
    const { inviteToken } = await call<{ inviteToken: string }>(
      baseUrl,
      'members.invite',
      { workspaceId: id, email: person.email, role },
      host,
    );
    return { id, inviteToken };
  };
  const joined = await guest('member');
  await call(baseUrl, 'members.acceptInvite', { inviteToken: joined.inviteToken }, person.token);
  const invited = await guest('admin');
  await call(
    baseUrl,
    'tasks.create',
    { projectId: rows.projectIds[0], title: 'For the caller', assigneeId: person.id },
    host,
  );
  const inbox = await call<{ items: { id: string }[] }>(
    baseUrl,
    'notifications.list',
    {},
    person.token,
    'query',
  );
  return {
    person,
    rows,
    joinedWorkspaceId: joined.id,
    invitedWorkspaceId: invited.id,
    inviteTokenForCaller: invited.inviteToken,
    notificationIds: inbox.items.map((item) => item.id),
  };
}

/** Real ids by input field name: the caller's own and the victim's, side by side. */
export function idPool(caller: Caller, victim: Victim, bystander: Bystander): IdPool {
  const mine = caller.rows;
  const theirs = victim.rows;
  const users = [caller.person.id, bystander.person.id, ...victim.members.map((m) => m.id)];
  return {
    workspaceId: [
      mine.workspaceId,
      caller.joinedWorkspaceId,
      caller.invitedWorkspaceId,
      theirs.workspaceId,
    ],
    projectId: [...mine.projectIds, ...theirs.projectIds],
    // Trashed tasks too: tasks.restore's, and NOT_FOUND for every other procedure.
    taskId: [...mine.taskIds, ...mine.trashedTaskIds, ...theirs.taskIds, ...theirs.trashedTaskIds],
    // Relations link two tasks: the other may be the caller's or another workspace's.
    otherTaskId: [...mine.taskIds, ...theirs.taskIds],
    parentId: [...mine.taskIds, ...theirs.taskIds],
    // Bulk changes: the caller's tasks, some with another workspace's, and theirs alone.
    taskIds: [mine.taskIds, [...mine.taskIds, ...theirs.taskIds.slice(0, 1)], theirs.taskIds],
    stateId: [...mine.stateIds, ...theirs.stateIds],
    moveToStateId: [...mine.stateIds, ...theirs.stateIds],
    stateIds: [mine.stateIds, [...mine.stateIds].reverse(), theirs.stateIds],
    commentId: [...mine.commentIds, ...theirs.commentIds],
    viewId: [...mine.viewIds, ...theirs.viewIds],
    attachmentId: [...mine.attachmentIds, ...theirs.attachmentIds],
    inviteId: [...mine.inviteIds, ...theirs.inviteIds],
    inviteToken: [...mine.inviteTokens, caller.inviteTokenForCaller, ...theirs.inviteTokens],
    tokenId: [mine.apiTokenId, theirs.apiTokenId],
    sessionId: [caller.person.sessionId, ...victim.members.map((m) => m.sessionId)],
    userId: users,
    assigneeId: users,
    email: [caller.person.email, bystander.person.email, ...victim.members.map((m) => m.email)],
    // auth.updateProfile: the caller's own handle, and others' (a CONFLICT each).
    handle: [caller.person.handle, bystander.person.handle, ...victim.members.map((m) => m.handle)],
    // Comments and descriptions mentioning members and non-members (the victims).
    body: [caller, bystander, ...victim.members.map((person) => ({ person }))].map(
      ({ person }) => `@${person.handle} and @${person.email}.`,
    ),
    password: [PASSWORD],
    // Tasks start at version 1; a few edits later they are at 2 or 3.
    expectedVersion: [1, 2, 3],
    // notifications.markRead: the caller's own, mixed with others', and others' alone (the
    // victim member's, the bystander's): only the caller's may ever be marked.
    ids: [
      caller.notificationIds,
      [...caller.notificationIds, ...theirs.notificationIds],
      theirs.notificationIds,
      mine.notificationIds,
    ],
  };
}
