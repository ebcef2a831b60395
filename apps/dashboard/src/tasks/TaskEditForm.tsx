import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { isConflict } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { formErrors } from '../forms/formErrors';
import { draftOf, patchOf, type TaskPatch } from './draft';
import { type TaskDraft, TaskFormFields } from './TaskFormFields';
import type { Task } from './taskFields';

const FIELDS = ['title', 'description', 'status', 'priority', 'assigneeId'];

/** An edit in progress: the task as it was when editing began, and the edited values. */
interface Edit {
  base: Task;
  draft: TaskDraft;
}

/**
 * Edits a task with optimistic concurrency. While nothing is edited, the form follows the
 * task (live changes included); once edited, it keeps the version the edit began from, and
 * saving sends that as `expectedVersion`. If someone changed the task meanwhile, the server
 * answers CONFLICT and the user picks: "Reload" (their edits go) or "Overwrite" (the same
 * changes again, against the newest version).
 */
export function TaskEditForm({ task }: { task: Task }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [edit, setEdit] = useState<Edit | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const base = edit?.base ?? task;
  const draft = edit?.draft ?? draftOf(task);
  const detailKey = trpc.tasks.get.queryKey({ taskId: task.id });

  const update = useMutation(
    trpc.tasks.update.mutationOptions({
      onSuccess: (updated) => {
        queryClient.setQueryData(detailKey, (old) => (old ? { ...old, ...updated } : old));
        setEdit(null);
        setSaved(`Saved version ${updated.version}`);
        void queryClient.invalidateQueries(trpc.tasks.list.pathFilter());
        void queryClient.invalidateQueries(trpc.stats.pathFilter());
        void queryClient.invalidateQueries(trpc.activity.pathFilter());
      },
    }),
  );
  const conflict = isConflict(update.error);
  const errors = formErrors(conflict ? null : update.error, FIELDS, 'patch.');

  const save = (patch: TaskPatch, expectedVersion: number) => {
    setSaved(null);
    if (Object.keys(patch).length === 0) {
      setEdit(null);
      setSaved('No changes to save');
      return;
    }
    update.mutate({ taskId: task.id, expectedVersion, patch });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save(patchOf(base, draft), base.version);
  };
  const latest = async () =>
    queryClient.fetchQuery({ ...trpc.tasks.get.queryOptions({ taskId: task.id }), staleTime: 0 });
  const reload = async () => {
    await latest();
    setEdit(null);
    update.reset();
  };
  const overwrite = async () => {
    const patch = patchOf(base, draft);
    const fresh = await latest();
    setEdit({ base: fresh, draft: { ...draftOf(fresh), ...pick(draft, patch) } });
    save(patch, fresh.version);
  };

  return (
    <form className="card stack" onSubmit={submit}>
      <h2 id="edit-task-title">Edit</h2>
      <TaskFormFields
        draft={draft}
        onChange={(change) => setEdit({ base, draft: { ...draft, ...change } })}
        errors={errors}
      />
      {conflict ? (
        <div role="alert" className="conflict">
          <p>Changed by someone else — reload or overwrite</p>
          <div className="actions">
            <button type="button" className="secondary" onClick={() => void reload()}>
              Reload
            </button>
            <button type="button" onClick={() => void overwrite()}>
              Overwrite
            </button>
          </div>
        </div>
      ) : null}
      <ErrorMessage>{errors.form}</ErrorMessage>
      <div className="actions">
        <button type="submit" disabled={update.isPending}>
          Save
        </button>
        {edit ? (
          <button type="button" className="secondary" onClick={() => setEdit(null)}>
            Discard changes
          </button>
        ) : null}
        <output aria-live="polite">{saved}</output>
      </div>
    </form>
  );
}

/** The draft's values of the fields in `patch`. */
function pick(draft: TaskDraft, patch: TaskPatch): Partial<TaskDraft> {
  const keys = Object.keys(patch) as (keyof TaskPatch)[];
  return Object.fromEntries(
    keys.filter((key): key is keyof TaskDraft => key in draft).map((key) => [key, draft[key]]),
  );
}
