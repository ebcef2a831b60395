import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { useTRPC } from '../app/trpc';
import { useWorkspace } from '../app/workspace';
import { ErrorMessage } from '../forms/Alert';
import { formErrors } from '../forms/formErrors';
import { SecretOnce } from '../forms/SecretOnce';
import { useWebhookDraft, WebhookFields } from './WebhookFields';

/** "New endpoint": URL, description, event types; the signing secret is shown once. */
export function CreateWebhookForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useWorkspace();
  const form = useWebhookDraft({ url: '', description: '', filter: { all: true, types: [] } });
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async () => {
        form.reset();
        await queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
      },
    }),
  );
  const errors = formErrors(create.error, ['url', 'description', 'events']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields = form.checked();
    if (!fields) return;
    create.mutate({
      workspaceId: workspace.id,
      url: fields.url,
      ...(fields.description ? { description: fields.description } : {}),
      ...(fields.events ? { events: fields.events } : {}),
    });
  };
  return (
    <section className="card stack" aria-labelledby="create-webhook-title">
      <h2 id="create-webhook-title">New endpoint</h2>
      <form className="stack" onSubmit={submit}>
        <WebhookFields draft={form.draft} onChange={form.change} errors={errors} hints />
        <div className="actions">
          <button type="submit" disabled={create.isPending}>
            Add endpoint
          </button>
        </div>
      </form>
      <ErrorMessage>{errors.form}</ErrorMessage>
      {create.data ? (
        <SecretOnce
          label={`Signing secret of ${create.variables?.url ?? 'the new endpoint'}`}
          secret={create.data.secret}
        />
      ) : null}
    </section>
  );
}
