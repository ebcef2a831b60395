import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { formErrors } from '../forms/formErrors';
import { type Webhook, webhookPatch } from './endpointState';
import { filterOf } from './eventTypes';
import { useWebhookDraft, WebhookFields } from './WebhookFields';

/** Edits an endpoint's URL, description and event types; sends only what changed. */
export function EditWebhookForm({ webhook, onDone }: { webhook: Webhook; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useWebhookDraft({
    url: webhook.url,
    description: webhook.description,
    filter: filterOf(webhook.events),
  });
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
        onDone();
      },
    }),
  );
  const errors = formErrors(update.error, ['url', 'description', 'events']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields = form.checked();
    if (!fields) return;
    const patch = webhookPatch(webhook, fields);
    if (patch === null) onDone();
    else update.mutate({ webhookId: webhook.id, ...patch });
  };
  return (
    <form className="stack edit-webhook" onSubmit={submit} aria-label={`Edit ${webhook.url}`}>
      <WebhookFields draft={form.draft} onChange={form.change} errors={errors} />
      <ErrorMessage>{errors.form}</ErrorMessage>
      <div className="actions">
        <button type="submit" disabled={update.isPending}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
