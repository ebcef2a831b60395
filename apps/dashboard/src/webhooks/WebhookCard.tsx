import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { messageOf } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';
import { ConfirmAction } from '../forms/ConfirmAction';
import { SecretOnce } from '../forms/SecretOnce';
import { formatTime } from '../tasks/time';
import { DeliveryList } from './DeliveryList';
import { deliverySummary } from './deliveryText';
import { EditWebhookForm } from './EditWebhookForm';
import { EndpointStatus } from './EndpointStatus';
import { previousSecretValid, type Webhook } from './endpointState';
import { filterText } from './eventTypes';

/** One endpoint: its settings and state, its actions (test, rotate the secret, edit,
 * disable, delete) and, on demand, its deliveries. */
export function WebhookCard({ webhook }: { webhook: Webhook }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const titleId = useId();
  const deliveriesId = useId();
  const [editing, setEditing] = useState(false);
  const [showDeliveries, setShowDeliveries] = useState(false);
  const refreshList = () => queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
  const test = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSettled: async () => {
        void refreshList();
        await queryClient.invalidateQueries(trpc.webhooks.deliveries.pathFilter());
      },
    }),
  );
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({ onSettled: refreshList }),
  );
  const toggle = useMutation(trpc.webhooks.update.mutationOptions({ onSettled: refreshList }));
  const error = test.error ?? rotate.error ?? toggle.error;
  return (
    <article className="card stack webhook" aria-labelledby={titleId}>
      <header className="webhook-head">
        <h3 id={titleId} className="webhook-url">
          {webhook.url}
        </h3>
        <span className={`badge ${webhook.enabled ? 'enabled' : 'disabled'}`}>
          {webhook.enabled ? 'enabled' : 'disabled'}
        </span>
      </header>
      {webhook.description ? <p className="webhook-description">{webhook.description}</p> : null}
      <p className="muted webhook-meta">
        Events: {filterText(webhook.events)} · added {formatTime(webhook.createdAt)}
      </p>
      <EndpointStatus
        webhook={webhook}
        enabling={toggle.isPending}
        onEnable={() => toggle.mutate({ webhookId: webhook.id, enabled: true })}
      />
      {previousSecretValid(webhook, new Date()) && webhook.previousSecretExpiresAt ? (
        <p className="muted">
          The previous signing secret also signs until {formatTime(webhook.previousSecretExpiresAt)}
          .
        </p>
      ) : null}
      {editing ? (
        <EditWebhookForm webhook={webhook} onDone={() => setEditing(false)} />
      ) : (
        <div className="actions">
          <button
            type="button"
            disabled={test.isPending}
            onClick={() => test.mutate({ webhookId: webhook.id })}
          >
            {test.isPending ? 'Sending test…' : 'Send test'}
          </button>
          <button
            type="button"
            className="secondary"
            disabled={rotate.isPending}
            onClick={() => rotate.mutate({ webhookId: webhook.id })}
          >
            Rotate secret
          </button>
          <button type="button" className="secondary" onClick={() => setEditing(true)}>
            Edit
          </button>
          {webhook.enabled ? (
            <button
              type="button"
              className="secondary"
              disabled={toggle.isPending}
              onClick={() => toggle.mutate({ webhookId: webhook.id, enabled: false })}
            >
              Disable
            </button>
          ) : null}
          <DeleteWebhook webhook={webhook} />
        </div>
      )}
      <ErrorMessage>{error ? messageOf(error) : null}</ErrorMessage>
      <p role="status" className={test.data?.outcome === 'failed' ? 'error' : 'success'}>
        {test.data ? `Test ${deliverySummary(test.data)}` : ''}
      </p>
      {rotate.data ? (
        <div className="stack">
          <SecretOnce label={`New signing secret of ${webhook.url}`} secret={rotate.data.secret} />
          <p className="muted">
            The old secret keeps working beside the new one for 24 hours, so receivers can switch
            without missing a delivery.
          </p>
        </div>
      ) : null}
      <div className="stack">
        <button
          type="button"
          className="link-button toggle-deliveries"
          aria-expanded={showDeliveries}
          aria-controls={deliveriesId}
          onClick={() => setShowDeliveries((shown) => !shown)}
        >
          {showDeliveries ? 'Hide deliveries' : 'Show deliveries'}
        </button>
        <div id={deliveriesId}>
          {showDeliveries ? <DeliveryList webhookId={webhook.id} url={webhook.url} /> : null}
        </div>
      </div>
    </article>
  );
}

function DeleteWebhook({ webhook }: { webhook: Webhook }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.webhooks.delete.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.list.pathFilter()),
    }),
  );
  return (
    <ConfirmAction
      label="Delete"
      question="Delete this endpoint and its delivery log? Nothing more is sent to it."
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ webhookId: webhook.id })}
    />
  );
}
