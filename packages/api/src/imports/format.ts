import { ROLES, TASK_STATUSES } from '@trellis/db';
import { z } from 'zod';

// The workspace export document, version 1 (docs/api.md "Export format"). Its sections
// come in the order an import needs them: each row names only rows of earlier sections,
// except a task's parent (restored after every task is in) and the activity log's ids of
// things deleted since (kept as ids that name nothing).

export const EXPORT_FORMAT = 'trellis.workspace';
export const EXPORT_VERSION = 1;

/** The array sections, in document order. */
export const SECTIONS = [
  'users',
  'members',
  'projects',
  'states',
  'tasks',
  'relations',
  'comments',
  'activity',
] as const;
export type Section = (typeof SECTIONS)[number];

const id = z.string().min(1).max(64);
const time = z.string().min(1).max(64);
const nullableId = id.nullable();

export const workspaceRow = z.object({
  name: z.string().min(1),
  slug: z.string().min(1),
  createdAt: time,
});
export const countsRow = z
  .object(
    Object.fromEntries(SECTIONS.map((section) => [section, z.int().min(0)])) as Record<
      Section,
      z.ZodInt
    >,
  )
  .partial();

/** One row of each section, as an import reads it (unknown keys are ignored). */
export const sectionRows = {
  users: z.object({ id, email: z.string().min(1).max(254), name: z.string().min(1) }),
  members: z.object({ userId: id, role: z.enum(ROLES), createdAt: time }),
  projects: z.object({
    id,
    key: z.string().min(1),
    name: z.string().min(1),
    archivedAt: time.nullable(),
    nextTaskNumber: z.int().min(1),
    createdAt: time,
    updatedAt: time,
  }),
  states: z.object({
    id,
    projectId: id,
    name: z.string().min(1),
    category: z.enum(['backlog', 'unstarted', 'started', 'completed', 'canceled']),
    position: z.int(),
    createdAt: time,
    updatedAt: time,
  }),
  tasks: z.object({
    id,
    projectId: id,
    number: z.int().min(1),
    title: z.string(),
    description: z.string(),
    status: z.enum(TASK_STATUSES),
    stateId: id,
    priority: z.int().min(0).max(4),
    assigneeId: nullableId,
    dueAt: time.nullable(),
    labels: z.array(z.string()),
    parentId: nullableId,
    version: z.int().min(1),
    createdBy: id,
    createdAt: time,
    updatedAt: time,
    completedAt: time.nullable(),
  }),
  relations: z.object({
    taskId: id,
    otherTaskId: id,
    type: z.enum(['blocks', 'relates', 'duplicates']),
    createdBy: nullableId,
    createdAt: time,
  }),
  comments: z.object({
    id,
    taskId: id,
    authorId: nullableId,
    body: z.string(),
    createdAt: time,
    updatedAt: time,
  }),
  activity: z.object({
    id,
    projectId: nullableId,
    taskId: nullableId,
    actorId: nullableId,
    type: z.string().min(1),
    data: z.unknown(),
    createdAt: time,
  }),
} satisfies Record<Section, z.ZodType>;

export type SectionRow<S extends Section> = z.output<(typeof sectionRows)[S]>;
