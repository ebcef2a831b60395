import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { messageOf } from '../app/errors';
import { useTRPC, useTRPCClient } from '../app/trpc';
import { ErrorMessage, Loading } from '../forms/Alert';
import { formatTime } from '../tasks/time';
import {
  type Delivery,
  deliverySummary,
  latencyText,
  statusText,
  triggerText,
} from './deliveryText';

/** The worker sends on its own: new attempts show up by polling while the list is open. */
const POLL_MS = 10_000;
const PAGE_SIZE = 20;

/** An endpoint's deliveries, newest first, with "Load more" and Redeliver per attempt. */
export function DeliveryList({ webhookId, url }: { webhookId: string; url: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const input = { webhookId, limit: PAGE_SIZE };
  // Not `infiniteQueryOptions`: it adds `direction` to the input, which the API refuses.
  const deliveries = useInfiniteQuery({
    queryKey: trpc.webhooks.deliveries.infiniteQueryKey(input),
    queryFn: ({ pageParam, signal }) =>
      client.webhooks.deliveries.query(pageParam ? { ...input, cursor: pageParam } : input, {
        signal,
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    refetchInterval: POLL_MS,
  });
  const redeliver = useMutation(
    trpc.webhooks.redeliver.mutationOptions({
      onSettled: async () => {
        await queryClient.invalidateQueries(trpc.webhooks.deliveries.pathFilter());
        void queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
      },
    }),
  );
  const items = deliveries.data?.pages.flatMap((page) => page.items) ?? [];
  const pendingId = redeliver.isPending ? redeliver.variables?.deliveryId : undefined;
  return (
    <div className="deliveries stack">
      {deliveries.isPending ? <Loading what="Loading deliveries…" /> : null}
      <ErrorMessage>{deliveries.isError ? messageOf(deliveries.error) : null}</ErrorMessage>
      <ErrorMessage>{redeliver.isError ? messageOf(redeliver.error) : null}</ErrorMessage>
      <p role="status" className="muted">
        {redeliver.data
          ? `Redelivered ${redeliver.data.eventType}: ${deliverySummary(redeliver.data)}`
          : ''}
      </p>
      {deliveries.isSuccess && items.length === 0 ? (
        <p className="empty">No deliveries yet.</p>
      ) : null}
      {items.length > 0 ? (
        <div className="table-scroll">
          <table className="delivery-table">
            <caption className="visually-hidden">Deliveries to {url}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Attempt</th>
                <th scope="col">Outcome</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
                <th scope="col">Error</th>
                <th scope="col">Response</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <DeliveryRow
                  key={delivery.id}
                  delivery={delivery}
                  pending={pendingId === delivery.id}
                  busy={redeliver.isPending}
                  onRedeliver={() => redeliver.mutate({ deliveryId: delivery.id })}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {deliveries.hasNextPage ? (
        <div className="actions">
          <button
            type="button"
            className="secondary"
            disabled={deliveries.isFetchingNextPage}
            onClick={() => void deliveries.fetchNextPage()}
          >
            Load more deliveries
          </button>
        </div>
      ) : null}
    </div>
  );
}

function DeliveryRow({
  delivery,
  pending,
  busy,
  onRedeliver,
}: {
  delivery: Delivery;
  pending: boolean;
  busy: boolean;
  onRedeliver: () => void;
}) {
  return (
    <tr className={`delivery ${delivery.outcome}`}>
      <td>
        <time dateTime={delivery.createdAt}>{formatTime(delivery.createdAt)}</time>
      </td>
      <td>
        <code>{delivery.eventType}</code>
        <br />
        <code className="muted event-id" title="Event id (the webhook-id header)">
          {delivery.eventId}
        </code>
      </td>
      <td>
        {delivery.attempt} <span className="muted">({triggerText(delivery.trigger)})</span>
      </td>
      <td>
        <span className={`badge outcome-${delivery.outcome}`}>{delivery.outcome}</span>
      </td>
      <td>{statusText(delivery.statusCode)}</td>
      <td>{latencyText(delivery.latencyMs)}</td>
      <td className="delivery-error">{delivery.error ?? '—'}</td>
      <td>
        {delivery.responseExcerpt ? (
          <details className="excerpt">
            <summary>
              Show<span className="visually-hidden"> response</span>
            </summary>
            <pre>{delivery.responseExcerpt}</pre>
          </details>
        ) : (
          <span className="muted">{delivery.responseExcerpt === null ? '—' : 'empty'}</span>
        )}
      </td>
      <td>
        <button type="button" className="secondary" disabled={busy} onClick={onRedeliver}>
          {pending ? 'Redelivering…' : 'Redeliver'}
          <span className="visually-hidden">
            {' '}
            {delivery.eventType} attempt {delivery.attempt}
          </span>
        </button>
      </td>
    </tr>
  );
}
