import type { Database, Kysely } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { workspaceIdOfAttachment } from './queries/attachments.js';
import { workspaceIdOfTrashed } from './queries/trash.js';
import { workspaceIdOfView } from './queries/views.js';
import { workspaceIdOf, workspaceIdOfDelivery } from './queries/workspaces.js';
import { zId } from './schemas.js';

/**
 * How a procedure finds the workspace its input belongs to: by `workspaceId`, or through
 * the project, task, comment, webhook or delivery it names. Resolves to undefined when the thing does not
 * exist, which callers answer exactly like "not a member": NOT_FOUND.
 */
export interface WorkspaceLocator {
  /** What the answer calls the thing when it is not found ("Task"). */
  label: string;
  find(db: Kysely<Database>, rawInput: unknown): Promise<string | undefined>;
}

function locator<K extends string>(
  label: string,
  key: K,
  lookup: (db: Kysely<Database>, id: string) => Promise<string | undefined>,
): WorkspaceLocator {
  const schema = z.object({ [key]: zId });
  return {
    label,
    async find(db, rawInput) {
      const parsed = schema.safeParse(rawInput);
      if (!parsed.success) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid input', cause: parsed.error });
      }
      return lookup(db, String(parsed.data[key]));
    },
  };
}

/** Where procedures find their workspace, by the id their input carries. */
export const locate = {
  workspace: locator('Workspace', 'workspaceId', async (_db, id) => id),
  project: locator('Project', 'projectId', (db, id) => workspaceIdOf(db, 'projects', id)),
  state: locator('State', 'stateId', (db, id) => workspaceIdOf(db, 'project_states', id)),
  task: locator('Task', 'taskId', (db, id) => workspaceIdOf(db, 'tasks', id)),
  /** A task in the trash (tasks.restore): found through trashed_tasks, not tasks. */
  trashedTask: locator('Task', 'taskId', workspaceIdOfTrashed),
  comment: locator('Comment', 'commentId', (db, id) => workspaceIdOf(db, 'comments', id)),
  webhook: locator('Webhook', 'webhookId', (db, id) => workspaceIdOf(db, 'webhooks', id)),
  delivery: locator('Delivery', 'deliveryId', workspaceIdOfDelivery),
  view: locator('View', 'viewId', workspaceIdOfView),
  attachment: locator('Attachment', 'attachmentId', workspaceIdOfAttachment),
} satisfies Record<string, WorkspaceLocator>;
