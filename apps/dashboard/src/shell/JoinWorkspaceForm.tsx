import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { navigate } from '../app/router';
import { paths } from '../app/routes';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';

/** Accepts an invite token an admin shared (members.acceptInvite) and opens the workspace. */
export function JoinWorkspaceForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [token, setToken] = useState('');
  const accept = useMutation(
    trpc.members.acceptInvite.mutationOptions({
      onSuccess: async (membership) => {
        await queryClient.invalidateQueries(trpc.auth.me.queryFilter());
        navigate(paths.overview(membership.workspace.slug));
      },
    }),
  );
  const errors = formErrors(accept.error, ['inviteToken']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate({ inviteToken: token.trim() });
  };
  return (
    <form className="card inline-form" onSubmit={submit}>
      <Field label="Invite token" errors={errors.field('inviteToken')}>
        {(control) => (
          <input {...control} required value={token} onChange={(e) => setToken(e.target.value)} />
        )}
      </Field>
      <button type="submit" disabled={accept.isPending}>
        Join workspace
      </button>
      <ErrorMessage>{errors.form}</ErrorMessage>
    </form>
  );
}
