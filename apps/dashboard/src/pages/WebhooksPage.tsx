import { useQuery } from '@tanstack/react-query';
import { messageOf } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { atLeast, useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { CreateWebhookForm } from '../webhooks/CreateWebhookForm';
import { WebhookCard } from '../webhooks/WebhookCard';

/** The worker changes an endpoint's state (failing, disabled) on its own. */
const POLL_MS = 15_000;

/** Webhook endpoints of the workspace (admins only): add one (its secret is shown once),
 * test, rotate, edit, disable, delete, and read and redeliver its deliveries. */
export function WebhooksPage() {
  const workspace = useWorkspace();
  if (!atLeast(workspace.role, 'admin')) {
    return (
      <>
        <h1>Webhooks</h1>
        <p className="empty">Only admins and owners manage this workspace's webhooks.</p>
      </>
    );
  }
  return (
    <>
      <h1>Webhooks</h1>
      <p className="muted intro">
        Every change in this workspace is POSTed to each endpoint as a signed event (Standard
        Webhooks), in order, and retried with backoff until the endpoint answers 2xx.
      </p>
      <CreateWebhookForm />
      <WebhookList />
    </>
  );
}

function WebhookList() {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const webhooks = useQuery(
    trpc.webhooks.list.queryOptions({ workspaceId: workspace.id }, { refetchInterval: POLL_MS }),
  );
  return (
    <section className="spaced" aria-labelledby="webhook-list">
      <h2 id="webhook-list">Endpoints</h2>
      {webhooks.isPending ? <Loading /> : null}
      <ErrorMessage>{webhooks.isError ? messageOf(webhooks.error) : null}</ErrorMessage>
      {webhooks.data?.length === 0 ? <p className="empty">No endpoints yet.</p> : null}
      <ul className="webhooks">
        {webhooks.data?.map((webhook) => (
          <li key={webhook.id}>
            <WebhookCard webhook={webhook} />
          </li>
        ))}
      </ul>
    </section>
  );
}
