// The vocabulary of the permission matrix (../permissions.test.ts): who calls, what a cell
// may answer, what each cell's workspace holds, and how a row of the table is written.
import type { AnyProcedure, inferProcedureInput } from '@trpc/server';
import type { AppRouter } from '../root.js';

/** Who calls, in the table's column order. */
export const CALLERS = [
  'anonymous', // no credential at all
  'outsider', // signed in, not a member of the workspace
  'viewer',
  'member',
  'admin',
  'owner',
  'readToken', // an API token of the workspace, scope read
  'writeToken', // an API token of the workspace, scope write
  'foreignToken', // a valid (write) API token of another workspace
] as const;
export type Caller = (typeof CALLERS)[number];

/** The callers checked on procedures outside any workspace (auth.*, workspaces.create…). */
export const ACCOUNT_CALLERS = ['anonymous', 'readToken', 'writeToken', 'foreignToken'] as const;

/** Success, or the HTTP status of the tRPC error code. */
export type Outcome = 'ok' | 401 | 403 | 404;

/** One outcome per caller, in the callers' order. */
export type Columns<C extends readonly Caller[]> = { readonly [K in keyof C]: Outcome };

/** What each cell's fresh workspace holds; `input` functions build valid inputs from it. */
export interface Fixture {
  workspaceId: string;
  /** A member (role `member`), the target of updateRole and remove. */
  victimId: string;
  /** A pending invite, sent by the owner. */
  inviteId: string;
  inviteToken: string;
  /** A live API token nobody calls with, the target of apiTokens.revoke. */
  spareTokenId: string;
  /** A spare session of the owner, the target of auth.sessions.revoke. */
  spareSessionId: string;
  /** Not used by any workspace or invite yet. */
  freshSlug: string;
  freshEmail: string;
  tokens: { read: string; write: string };
  /** A live project (key MTX) holding the tasks; its next task number is 4. */
  projectId: string;
  /** The project's Backlog state: no task is in it. */
  stateId: string;
  /** Every state of the project, in a new order (reversed). */
  stateIds: string[];
  /** Task MTX-1, at version 1, created by the owner. */
  taskId: string;
  /** Task MTX-2; MTX-1 `relates` to it (and nothing else links them). */
  otherTaskId: string;
  /** Task MTX-3, in the trash (deleted by the owner). */
  trashedTaskId: string;
  /**
   * A comment on the task by the member (not the owner): editing it is the author's alone,
   * so the owner and admins are refused; deleting it is open to the author and admins.
   */
  commentId: string;
  /**
   * A shared view saved by the member: the owner and admins may change or delete it, the
   * member as its owner; viewers and a write token (acting for the owner, as a member) not.
   */
  viewId: string;
  /**
   * An attachment on the task uploaded by the member (a row only; no file): deleting it is
   * open to its uploader and admins, not to a write token acting for the owner.
   */
  attachmentId: string;
  /** A webhook endpoint (to a closed port), with one failed delivery of `eventId`. */
  webhookId: string;
  deliveryId: string;
  /** The workspace's one log entry (its creation of the project). */
  eventId: string;
}

export interface Row<I> {
  /** `public` rows are not called (anyone may call them); their rows only keep the list whole. */
  scope: 'public' | 'account' | 'workspace';
  type: 'query' | 'mutation' | 'subscription';
  input: (fixture: Fixture) => I;
  cells: ReadonlyArray<{ caller: Caller; expected: Outcome }>;
}

function row<I, C extends readonly Caller[]>(
  scope: 'account' | 'workspace',
  type: Row<I>['type'],
  callers: C,
  outcomes: Columns<C>,
  input: (fixture: Fixture) => I,
): Row<I> {
  const cells = callers.map((caller, i) => {
    const expected = outcomes[i];
    // Columns<C> has one outcome per caller, so this only guards the index type.
    if (expected === undefined) throw new Error(`No outcome for ${caller}`);
    return { caller, expected };
  });
  return { scope, type, input, cells };
}

/** A procedure inside `input.workspaceId`, checked for every caller. */
export function workspace<I>(
  type: Row<I>['type'],
  outcomes: Columns<typeof CALLERS>,
  input: (fixture: Fixture) => I,
): Row<I> {
  return row('workspace', type, CALLERS, outcomes, input);
}

/** A signed-in procedure outside any workspace: only anonymous and token callers are checked. */
export function account<I>(
  type: Row<I>['type'],
  outcomes: Columns<typeof ACCOUNT_CALLERS>,
  input: (fixture: Fixture) => I,
): Row<I> {
  return row('account', type, ACCOUNT_CALLERS, outcomes, input);
}

/** A procedure anyone may call; nothing to check. */
export function publicRow(type: Row<never>['type']): Row<never> {
  return {
    scope: 'public',
    type,
    input: () => {
      throw new Error('public procedures are not called by the matrix');
    },
    cells: [],
  };
}

export const inWorkspace = (f: Fixture) => ({ workspaceId: f.workspaceId });
export const inProject = (f: Fixture) => ({ projectId: f.projectId });
export const onTask = (f: Fixture) => ({ taskId: f.taskId });
export const onComment = (f: Fixture) => ({ commentId: f.commentId });
export const onWebhook = (f: Fixture) => ({ webhookId: f.webhookId });
export const onView = (f: Fixture) => ({ viewId: f.viewId });
export const onAttachment = (f: Fixture) => ({ attachmentId: f.attachmentId });
export const noInput = () => undefined;

/** Every procedure path of a router record, spelled 'members.invite'. */
type PathsOf<R, Prefix extends string = ''> = {
  [K in keyof R & string]: R[K] extends AnyProcedure
    ? `${Prefix}${K}`
    : PathsOf<R[K], `${Prefix}${K}.`>;
}[keyof R & string];
export type ProcedureRecord = AppRouter['_def']['record'];
export type ProcedurePath = PathsOf<ProcedureRecord>;
export type InputAt<R, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof R
    ? InputAt<R[Head], Rest>
    : never
  : P extends keyof R
    ? R[P] extends AnyProcedure
      ? inferProcedureInput<R[P]>
      : never
    : never;
