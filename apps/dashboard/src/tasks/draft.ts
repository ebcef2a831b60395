import type { RouterInputs } from '@trellis/client';
import type { TaskDraft } from './TaskFormFields';
import type { Task } from './taskFields';

/** What tasks.update changes. */
export type TaskPatch = RouterInputs['tasks']['update']['patch'];

/** The edit form's values for `task`. */
export function draftOf(task: Task): TaskDraft {
  return {
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    assigneeId: task.assigneeId ?? '',
  };
}

/** The fields `draft` changes relative to `base` (the task as the edit began): only those
 * are sent, so an overwrite keeps others' changes to the fields left alone. */
export function patchOf(base: Task, draft: TaskDraft): TaskPatch {
  const patch: TaskPatch = {};
  if (draft.title !== base.title) patch.title = draft.title;
  if (draft.description !== base.description) patch.description = draft.description;
  if (draft.status !== base.status) patch.status = draft.status;
  if (draft.priority !== base.priority) patch.priority = draft.priority;
  const assigneeId = draft.assigneeId || null;
  if (assigneeId !== base.assigneeId) patch.assigneeId = assigneeId;
  return patch;
}
