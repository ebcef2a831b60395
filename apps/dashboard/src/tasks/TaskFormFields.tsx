import { Field } from '../forms/Field';
import type { FormErrors } from '../forms/formErrors';
import { PRIORITIES, STATUSES, type TaskStatus } from './taskFields';
import { useMembers } from './useWorkspaceData';

/** What the create and edit forms hold for a task. */
export interface TaskDraft {
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  /** A member's id, or '' for nobody. */
  assigneeId: string;
}

/** The fields shared by the create and edit forms: Title, Description, Status, Priority,
 * Assignee. */
export function TaskFormFields({
  draft,
  onChange,
  errors,
}: {
  draft: TaskDraft;
  onChange: (patch: Partial<TaskDraft>) => void;
  errors: FormErrors;
}) {
  const members = useMembers();
  return (
    <>
      <Field label="Title" errors={errors.field('title')}>
        {(control) => (
          <input
            {...control}
            required
            maxLength={200}
            value={draft.title}
            onChange={(e) => onChange({ title: e.target.value })}
          />
        )}
      </Field>
      <Field label="Description" errors={errors.field('description')}>
        {(control) => (
          <textarea
            {...control}
            rows={4}
            value={draft.description}
            onChange={(e) => onChange({ description: e.target.value })}
          />
        )}
      </Field>
      <div className="row">
        <Field label="Status" errors={errors.field('status')}>
          {(control) => (
            <select
              {...control}
              value={draft.status}
              onChange={(e) => onChange({ status: e.target.value as TaskStatus })}
            >
              {STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Priority" errors={errors.field('priority')}>
          {(control) => (
            <select
              {...control}
              value={draft.priority}
              onChange={(e) => onChange({ priority: Number(e.target.value) })}
            >
              {PRIORITIES.map((priority) => (
                <option key={priority.value} value={priority.value}>
                  {priority.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Assignee" errors={errors.field('assigneeId')}>
          {(control) => (
            <select
              {...control}
              value={draft.assigneeId}
              onChange={(e) => onChange({ assigneeId: e.target.value })}
            >
              <option value="">Unassigned</option>
              {members.data?.map((member) => (
                <option key={member.userId} value={member.userId}>
                  {member.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
    </>
  );
}
