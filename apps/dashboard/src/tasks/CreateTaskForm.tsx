import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { type TaskDraft, TaskFormFields } from './TaskFormFields';
import { useProjects } from './useWorkspaceData';

const EMPTY: TaskDraft = {
  title: '',
  description: '',
  status: 'todo',
  priority: 0,
  assigneeId: '',
};
const FIELDS = ['projectId', 'title', 'description', 'status', 'priority', 'assigneeId', 'labels'];

/** Labels typed as a comma-separated list. */
function parseLabels(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((label) => label.trim())
        .filter(Boolean),
    ),
  ];
}

/** "Create task": project (the filtered one, else the first), title, details, labels. */
export function CreateTaskForm({ defaultProjectId }: { defaultProjectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projects = useProjects();
  const open = projects.data?.filter((project) => project.archivedAt === null) ?? [];
  const [projectId, setProjectId] = useState('');
  const [draft, setDraft] = useState<TaskDraft>(EMPTY);
  const [labels, setLabels] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const chosenProject =
    open.find((p) => p.id === projectId)?.id ??
    open.find((p) => p.id === defaultProjectId)?.id ??
    open[0]?.id ??
    '';
  const create = useMutation(
    trpc.tasks.create.mutationOptions({
      onSuccess: async (task) => {
        setDraft((old) => ({ ...EMPTY, status: old.status }));
        setLabels('');
        setCreated(`Created ${task.key}`);
        await Promise.all([
          queryClient.invalidateQueries(trpc.tasks.list.pathFilter()),
          queryClient.invalidateQueries(trpc.stats.pathFilter()),
        ]);
      },
    }),
  );
  const errors = formErrors(create.error, FIELDS);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate({
      projectId: chosenProject,
      title: draft.title,
      description: draft.description,
      // Todo is where the server puts a new task anyway (the project's first unstarted
      // state): sent only when another status is chosen, so that a project with several
      // unstarted states takes the default instead of refusing an ambiguous status.
      ...(draft.status === 'todo' ? {} : { status: draft.status }),
      priority: draft.priority,
      assigneeId: draft.assigneeId || null,
      labels: parseLabels(labels),
    });
  };
  if (projects.isSuccess && open.length === 0) {
    return <p className="empty card">Create a project first: tasks belong to a project.</p>;
  }
  return (
    <form className="card stack" onSubmit={submit}>
      <h2 id="create-task-title">New task</h2>
      <Field label="Project" errors={errors.field('projectId')}>
        {(control) => (
          <select {...control} value={chosenProject} onChange={(e) => setProjectId(e.target.value)}>
            {open.map((project) => (
              <option key={project.id} value={project.id}>
                {project.key} · {project.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <TaskFormFields
        draft={draft}
        onChange={(patch) => setDraft((old) => ({ ...old, ...patch }))}
        errors={errors}
      />
      <Field label="Labels" errors={errors.field('labels')} hint="Separate with commas.">
        {(control) => (
          <input {...control} value={labels} onChange={(e) => setLabels(e.target.value)} />
        )}
      </Field>
      <ErrorMessage>{errors.form}</ErrorMessage>
      <div className="actions">
        <button type="submit" disabled={create.isPending || !chosenProject}>
          Create task
        </button>
        <output aria-live="polite">{created}</output>
      </div>
    </form>
  );
}
