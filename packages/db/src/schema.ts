import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A workspace role, strongest first. */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
/** A member's role in one workspace. */
export type Role = (typeof ROLES)[number];

/** Where a task stands in its lifecycle. */
export const TASK_STATUSES = ['backlog', 'todo', 'in_progress', 'done', 'canceled'] as const;
/** One of TASK_STATUSES. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

// Timestamps are ISO-8601 UTC strings (`Date#toISOString`) on every dialect: they sort
// as text, group by day with substr(), and go to clients unchanged.

/** A person who can sign in. `email` is stored lowercased. */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  /** How people mention this account (`@jane-doe`): unique, lower case letters, digits,
   * `_` and `-`, 2–32 characters. */
  handle: string;
  /** argon2id PHC string; null for accounts that only sign in through OAuth. */
  password_hash: string | null;
  /** When the account proved it owns `email`; null while unverified. */
  email_verified_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A signed-in device. Only a SHA-256 of the token's secret is stored. */
export interface SessionsTable {
  id: string;
  user_id: string;
  secret_hash: string;
  created_at: string;
  last_verified_at: string;
  user_agent: string | null;
  ip: string | null;
}

/** A tenant: everything below belongs to exactly one workspace. */
export interface WorkspacesTable {
  id: string;
  name: string;
  slug: string;
  created_at: string;
  updated_at: string;
  /** The last `activity.workspace_seq` handed out in this workspace (0 before any). */
  activity_seq: Generated<number>;
}

/** A user's role in a workspace. */
export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  created_at: string;
}

/** A group of tasks with a short key (`KEY-12`). */
export interface ProjectsTable {
  id: string;
  workspace_id: string;
  key: string;
  name: string;
  archived_at: string | null;
  /** The number the next task in this project gets; bumped in the insert transaction. */
  next_task_number: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** A unit of work. `version` counts edits for optimistic concurrency. */
export interface TasksTable {
  id: string;
  workspace_id: string;
  project_id: string;
  number: number;
  title: string;
  description: Generated<string>;
  status: TaskStatus;
  priority: number;
  assignee_id: string | null;
  due_at: string | null;
  version: Generated<number>;
  created_by: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  /** The task this one is a sub-task of (same project), or null. */
  parent_id: Generated<string | null>;
  /** Its project's workflow state; `status` is that state's category in the old words. */
  state_id: string;
  /** The `due_at` a "due soon" reminder was sent for (pending while it differs). */
  due_soon_sent_for: Generated<string | null>;
  /** The `due_at` an "overdue" reminder was sent for (pending while it differs). */
  overdue_sent_for: Generated<string | null>;
}

/** The five categories every workflow state is in; they keep the old statuses' meaning. */
export const STATE_CATEGORIES = [
  'backlog',
  'unstarted',
  'started',
  'completed',
  'canceled',
] as const;
/** One of STATE_CATEGORIES. */
export type StateCategory = (typeof STATE_CATEGORIES)[number];

/** The status a task in a state of each category has (what stats and filters count). */
export const STATUS_OF_CATEGORY = {
  backlog: 'backlog',
  unstarted: 'todo',
  started: 'in_progress',
  completed: 'done',
  canceled: 'canceled',
} as const satisfies Record<StateCategory, TaskStatus>;

/** The category each status stands for (the inverse of STATUS_OF_CATEGORY). */
export const CATEGORY_OF_STATUS = {
  backlog: 'backlog',
  todo: 'unstarted',
  in_progress: 'started',
  done: 'completed',
  canceled: 'canceled',
} as const satisfies Record<TaskStatus, StateCategory>;

/** The states a new project starts with, in order (today's five statuses). */
export const DEFAULT_PROJECT_STATES = [
  { name: 'Backlog', category: 'backlog' },
  { name: 'Todo', category: 'unstarted' },
  { name: 'In Progress', category: 'started' },
  { name: 'Done', category: 'completed' },
  { name: 'Canceled', category: 'canceled' },
] as const satisfies ReadonlyArray<{ name: string; category: StateCategory }>;

/** A workflow state of one project; `position` orders a project's states (1, 2, …). */
export interface ProjectStatesTable {
  id: string;
  workspace_id: string;
  project_id: string;
  name: string;
  category: StateCategory;
  position: number;
  created_at: string;
  updated_at: string;
}

/** One label on one task; a table rather than JSON so that label filters use an index. */
export interface TaskLabelsTable {
  task_id: string;
  workspace_id: string;
  label: string;
}

/** The kinds of relation between two tasks; `relates` is symmetric, the others directed. */
export type TaskRelationType = 'blocks' | 'relates' | 'duplicates';

/** `task_id` blocks / duplicates / relates to `other_task_id` (one row per pair and type). */
export interface TaskRelationsTable {
  workspace_id: string;
  task_id: string;
  other_task_id: string;
  type: TaskRelationType;
  created_by: string | null;
  created_at: string;
}

/** A saved view: a named set of tasks.list filters and a sort, personal or shared. */
export interface ViewsTable {
  id: string;
  workspace_id: string;
  owner_id: string;
  name: string;
  /** 1: every member sees it; 0: its owner only. */
  shared: number;
  /** JSON of tasks.list's filter fields. */
  filters: string;
  sort: string;
  sort_order: string;
  created_at: string;
  updated_at: string;
}

/** A person watching a task: told of its comments and status changes, and its reminders. */
export interface TaskWatchersTable {
  task_id: string;
  user_id: string;
  workspace_id: string;
  created_at: string;
}

/** A member named in a comment, with the text that named them (`@jane`, `jane@x.org`). */
export interface CommentMentionsTable {
  comment_id: string;
  user_id: string;
  workspace_id: string;
  text: string;
}

/** A member named in a task's description, with the text that named them. */
export interface TaskMentionsTable {
  task_id: string;
  user_id: string;
  workspace_id: string;
  text: string;
}

/** One person's inbox: the last notification number taken, preferences, last digest. */
export interface InboxesTable {
  user_id: string;
  /** The newest notification's `seq` (numbers are taken under this row's lock). */
  seq: Generated<number>;
  /** JSON of the person's notification preferences; null: the defaults. */
  preferences: string | null;
  /** When the last email digest went out, or null. */
  last_digest_at: string | null;
}

/** Something a person is told about; numbered per person (`seq`). */
export interface NotificationsTable {
  id: string;
  user_id: string;
  seq: number;
  workspace_id: string;
  kind: string;
  task_id: string | null;
  comment_id: string | null;
  actor_id: string | null;
  /** JSON: what the inbox shows (the task as it was, an excerpt, a change). */
  data: string;
  created_at: string;
  read_at: string | null;
  emailed_at: string | null;
  /** SHA-256 of the unsubscribe secret of the digest this was the newest line of. */
  digest_secret_hash: Generated<string | null>;
}

/**
 * A deleted task, kept until it is restored or purged. `task` is JSON of the task as clients
 * saw it when it was deleted; `rows` JSON of the rows that bring it back (see packages/api
 * queries/trash.ts). `root_task_id`: the task whose deletion trashed this one (maybe itself).
 */
export interface TrashedTasksTable {
  task_id: string;
  workspace_id: string;
  project_id: string;
  root_task_id: string;
  deleted_by: string | null;
  deleted_at: string;
  task: string;
  rows: string;
}

/** An invitation into a workspace for one email; single use, expires. */
export interface InvitesTable {
  id: string;
  workspace_id: string;
  /** Normalized (lowercased) like users.email. */
  email: string;
  role: Role;
  secret_hash: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
}

/** What an API token may do: read only, or read and write. */
export const API_TOKEN_SCOPES = ['read', 'write'] as const;
/** One of API_TOKEN_SCOPES. */
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** A machine credential acting inside one workspace. Only a SHA-256 of its secret is stored. */
export interface ApiTokensTable {
  id: string;
  workspace_id: string;
  name: string;
  scope: ApiTokenScope;
  secret_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A user's identity at an OAuth / OpenID Connect provider (`subject` is its stable id). */
export interface OAuthAccountsTable {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: string;
}

/** A fixed-window counter: `hits` since the window began; it resets at `reset_at`. */
export interface RateLimitsTable {
  key: string;
  hits: number;
  reset_at: string;
}

/** A comment on a task. The body is stored exactly as sent. */
export interface CommentsTable {
  id: string;
  workspace_id: string;
  task_id: string;
  author_id: string | null;
  body: string;
  created_at: string;
  updated_at: string;
}

/** One entry of the append-only activity log. `data` is JSON (see packages/api activity.ts). */
export interface ActivityTable {
  /** The entry's place in the whole log (every workspace's): internal, never shown. */
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  /** The entry's number in its workspace's log (1, 2, 3, …): what event ids and cursors show. */
  workspace_seq: number;
  project_id: string | null;
  task_id: string | null;
  actor_id: string | null;
  api_token_id: string | null;
  type: string;
  data: string;
  created_at: string;
}

/**
 * One row: the last activity `seq` before entries were numbered per workspace (migration
 * 0008). Event ids and cursors issued before then named a `seq` at most this.
 */
export interface LegacyEventIdsTable {
  last_seq: number;
}

/**
 * Each task's full-text document, maintained by triggers. SQLite: the integer rowid of its
 * `task_fts` row. PostgreSQL: also its comments and weighted tsvector (`comments`,
 * `document`), which only packages/db search.ts reads.
 */
export interface TaskSearchDocsTable {
  doc_id: number;
  task_id: string;
  workspace_id: string;
}

/** SQLite only: the FTS5 index over task titles, descriptions and comments (triggers). */
export interface TaskFtsTable {
  rowid: number;
  title: string;
  description: string;
  comments: string;
}

/** Whether an idempotency key's mutation is still running or has answered. */
export type IdempotencyStatus = 'pending' | 'done';

/**
 * What a mutation sent with an `Idempotency-Key` answered, per scope (a user or an API
 * token), so that a retry gets the first answer (see packages/api idempotency.ts).
 */
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  /** The procedure the key was first used for (`tasks.create`). */
  path: string;
  /** SHA-256 (hex) of the request's input as canonical JSON. */
  input_hash: string;
  status: IdempotencyStatus;
  /** The answer as JSON once `done`; null while pending, or for an answer of `undefined`. */
  result: string | null;
  created_at: string;
  expires_at: string;
}

/** What a mailed single-use link is for. */
export const EMAIL_TOKEN_PURPOSES = ['verify_email', 'reset_password', 'change_email'] as const;
/** One of EMAIL_TOKEN_PURPOSES. */
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/** A single-use link sent by mail. Only a SHA-256 of its secret is stored. */
export interface EmailTokensTable {
  id: string;
  user_id: string;
  purpose: EmailTokenPurpose;
  /** The address the link was sent to (for `change_email`, the new address). */
  email: string;
  secret_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** A device that signed in successfully before (OWASP device cookies). */
export interface TrustedDevicesTable {
  id: string;
  user_id: string;
  secret_hash: string;
  created_at: string;
  last_used_at: string;
}

/** Why a webhook delivery row was written: the worker, a redelivery, or a ping. */
export type WebhookDeliveryTrigger = 'event' | 'redelivery' | 'ping';

/**
 * A workspace's webhook endpoint. Deliveries come from the activity log: `cursor` is the
 * `workspace_seq` of the last entry dealt with (see migration 0009).
 */
export interface WebhooksTable {
  id: string;
  workspace_id: string;
  url: string;
  description: Generated<string>;
  /** JSON array of event types; null = every type. */
  events: string | null;
  /** 1 or 0. */
  enabled: Generated<number>;
  disabled_reason: string | null;
  /** `whsec_` + base64: signs deliveries. */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  cursor: number;
  /** Failed tries of the event after `cursor` (0 when none failed). */
  attempts: Generated<number>;
  next_attempt_at: string | null;
  failing_since: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** One attempt to send an event (or a ping) to an endpoint. */
export interface WebhookDeliveriesTable {
  /** Insertion order (internal; pages of deliveries walk it). */
  seq: Generated<number>;
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  /** The event's number in its workspace's log; null for a ping. */
  position: number | null;
  attempt: number;
  trigger: WebhookDeliveryTrigger;
  outcome: 'delivered' | 'failed';
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
  created_at: string;
}

/**
 * One open live stream, holding a slot of its owner's MAX_STREAMS_PER_USER over every
 * server process; kept alive by its process, gone when the stream ends or expires.
 */
export interface StreamLeasesTable {
  id: string;
  /** Whose slot: `user:<id>`, or `address:<ip>`. */
  owner_key: string;
  created_at: string;
  expires_at: string;
}

/** What an import job brings in: a whole workspace (JSON export) or tasks from a CSV file. */
export type ImportJobKind = 'workspace' | 'tasks.csv';
/** Where an import job is. */
export type ImportJobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * A file uploaded to a task (or one of its comments); its bytes are in the attachment store
 * under `storage_key` (see migration 0018).
 */
export interface AttachmentsTable {
  id: string;
  workspace_id: string;
  task_id: string;
  comment_id: string | null;
  /** The uploader's name for it, cleaned (never a path). */
  filename: string;
  /** The type it is served as: an allowed type, or application/octet-stream. */
  content_type: string;
  /** Bytes (at most ATTACHMENT_MAX_BYTES, itself below 2 GiB). */
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  storage_key: string;
  /** A small WebP preview's key (images), or null. */
  preview_key: string | null;
  uploaded_by: string | null;
  created_at: string;
}

/** Storage keys whose files are still to be removed (their rows are gone). */
export interface AttachmentDeletionsTable {
  storage_key: string;
  preview_key: string | null;
  created_at: string;
}

/** A background import, polled by the user who started it (see packages/api imports/jobs.ts). */
export interface ImportJobsTable {
  id: string;
  kind: ImportJobKind;
  user_id: string;
  /** The target workspace; for a workspace import, set once the new workspace is made. */
  workspace_id: string | null;
  status: ImportJobStatus;
  phase: string;
  done: Generated<number>;
  total: number | null;
  error: string | null;
  /** JSON, written when the job ends. */
  report: string | null;
  /** The uploaded temp file the job reads (removed when the job ends). */
  file: string;
  /** `<hostname>:<pid>` of the process running it. */
  owner: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** The whole schema as Kysely sees it. */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  workspaces: WorkspacesTable;
  memberships: MembershipsTable;
  projects: ProjectsTable;
  tasks: TasksTable;
  project_states: ProjectStatesTable;
  task_labels: TaskLabelsTable;
  invites: InvitesTable;
  api_tokens: ApiTokensTable;
  oauth_accounts: OAuthAccountsTable;
  rate_limits: RateLimitsTable;
  comments: CommentsTable;
  activity: ActivityTable;
  legacy_event_ids: LegacyEventIdsTable;
  task_search_docs: TaskSearchDocsTable;
  task_fts: TaskFtsTable;
  idempotency_keys: IdempotencyKeysTable;
  email_tokens: EmailTokensTable;
  trusted_devices: TrustedDevicesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  stream_leases: StreamLeasesTable;
  task_relations: TaskRelationsTable;
  trashed_tasks: TrashedTasksTable;
  views: ViewsTable;
  task_watchers: TaskWatchersTable;
  comment_mentions: CommentMentionsTable;
  task_mentions: TaskMentionsTable;
  inboxes: InboxesTable;
  notifications: NotificationsTable;
  import_jobs: ImportJobsTable;
  attachments: AttachmentsTable;
  attachment_deletions: AttachmentDeletionsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;
export type SessionUpdate = Updateable<SessionsTable>;
export type Workspace = Selectable<WorkspacesTable>;
export type NewWorkspace = Insertable<WorkspacesTable>;
export type WorkspaceUpdate = Updateable<WorkspacesTable>;
export type Membership = Selectable<MembershipsTable>;
export type NewMembership = Insertable<MembershipsTable>;
export type MembershipUpdate = Updateable<MembershipsTable>;
export type Project = Selectable<ProjectsTable>;
export type NewProject = Insertable<ProjectsTable>;
export type ProjectUpdate = Updateable<ProjectsTable>;
export type Task = Selectable<TasksTable>;
export type NewTask = Insertable<TasksTable>;
export type TaskUpdate = Updateable<TasksTable>;
export type TaskLabel = Selectable<TaskLabelsTable>;
export type Invite = Selectable<InvitesTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type OAuthAccount = Selectable<OAuthAccountsTable>;
export type Comment = Selectable<CommentsTable>;
export type Activity = Selectable<ActivityTable>;
export type IdempotencyKey = Selectable<IdempotencyKeysTable>;
