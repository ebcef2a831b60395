import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { slugify } from './slugify';

/** Creates a workspace (the caller becomes its owner) and opens it. */
export function CreateWorkspaceForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState<string | null>(null);
  const create = useMutation(
    trpc.workspaces.create.mutationOptions({
      onSuccess: async (workspace) => {
        await queryClient.invalidateQueries(trpc.auth.me.queryFilter());
        navigate(paths.overview(workspace.slug));
      },
    }),
  );
  const errors = formErrors(create.error, ['name', 'slug']);
  const effectiveSlug = slug ?? slugify(name);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name, slug: effectiveSlug });
  };
  return (
    <form className="card stack" onSubmit={submit}>
      <Field label="Workspace name" errors={errors.field('name')}>
        {(control) => (
          <input {...control} required value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <Field
        label="Slug"
        errors={errors.field('slug')}
        hint="Lowercase letters, digits and hyphens; used in links."
      >
        {(control) => (
          <input
            {...control}
            required
            value={effectiveSlug}
            onChange={(e) => setSlug(e.target.value)}
          />
        )}
      </Field>
      <ErrorMessage>{errors.form}</ErrorMessage>
      <button type="submit" disabled={create.isPending}>
        Create workspace
      </button>
    </form>
  );
}
