import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { messageOf } from '../app/errors';
import { Link } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { atLeast, useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { useProjects } from '../tasks/useWorkspaceData';

/** The workspace's projects; admins create them here. */
export function ProjectsPage() {
  const workspace = useWorkspace();
  const projects = useProjects();
  return (
    <>
      <h1>Projects</h1>
      {atLeast(workspace.role, 'admin') ? <CreateProjectForm /> : null}
      <section>
        <h2 id="project-list">All projects</h2>
        {projects.isPending ? <Loading /> : null}
        <ErrorMessage>{projects.isError ? messageOf(projects.error) : null}</ErrorMessage>
        {projects.data?.length === 0 ? <p className="empty">No projects yet.</p> : null}
        <ul className="list">
          {projects.data?.map((project) => (
            <li key={project.id}>
              <span className="key">{project.key}</span>{' '}
              <Link to={paths.tasks(workspace.slug, `?project=${encodeURIComponent(project.id)}`)}>
                {project.name}
              </Link>
              {project.archivedAt ? <span className="badge">archived</span> : null}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function CreateProjectForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useWorkspace();
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const create = useMutation(
    trpc.projects.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        setKey('');
        await queryClient.invalidateQueries(trpc.projects.list.pathFilter());
      },
    }),
  );
  const errors = formErrors(create.error, ['name', 'key']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ workspaceId: workspace.id, name, key });
  };
  return (
    <form className="card inline-form" onSubmit={submit}>
      <Field label="Project name" errors={errors.field('name')}>
        {(control) => (
          <input {...control} required value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <Field label="Key" errors={errors.field('key')} hint="2–10 capital letters, e.g. ENG">
        {(control) => (
          <input
            {...control}
            required
            value={key}
            maxLength={10}
            autoCapitalize="characters"
            onChange={(e) => setKey(e.target.value.toUpperCase())}
          />
        )}
      </Field>
      <ErrorMessage>{errors.form}</ErrorMessage>
      <button type="submit" disabled={create.isPending}>
        Create project
      </button>
    </form>
  );
}
