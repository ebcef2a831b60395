import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useState } from 'react';
import { messageOf } from '../app/errors';
import { useTRPC, useTRPCClient } from '../app/trpc';
import { ErrorMessage, Loading } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { formatTime } from './time';

/** Others' comments arrive by polling: the live feed carries task changes only. */
const POLL_MS = 10_000;

/** A task's comments, oldest first, and the "Add comment" form (Ctrl/⌘+Enter sends). */
export function Comments({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [body, setBody] = useState('');
  const client = useTRPCClient();
  const input = { taskId, limit: 50 };
  // Not `infiniteQueryOptions`: it adds `direction` to the input, which the API refuses.
  const comments = useInfiniteQuery({
    queryKey: trpc.comments.list.infiniteQueryKey(input),
    queryFn: ({ pageParam, signal }) =>
      client.comments.list.query(pageParam ? { ...input, cursor: pageParam } : input, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    refetchInterval: POLL_MS,
  });
  const add = useMutation(
    trpc.comments.create.mutationOptions({
      onSuccess: async () => {
        setBody('');
        await queryClient.invalidateQueries(trpc.comments.list.pathFilter());
        void queryClient.invalidateQueries(trpc.activity.pathFilter());
      },
    }),
  );
  const errors = formErrors(add.error, ['body']);
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!add.isPending) add.mutate({ taskId, body });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit();
  };
  const items = comments.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section className="card">
      <h2 id="comments-title">Comments</h2>
      {comments.isPending ? <Loading what="Loading comments…" /> : null}
      <ErrorMessage>{comments.isError ? messageOf(comments.error) : null}</ErrorMessage>
      {comments.isSuccess && items.length === 0 ? <p className="empty">No comments yet.</p> : null}
      <ol className="comments">
        {items.map((comment) => (
          <li key={comment.id} className="comment">
            <p className="meta">
              <strong>{comment.authorName ?? 'Former member'}</strong>{' '}
              <time dateTime={comment.createdAt}>{formatTime(comment.createdAt)}</time>
              {comment.edited ? <span className="muted"> (edited)</span> : null}
            </p>
            <p className="body">{comment.body}</p>
          </li>
        ))}
      </ol>
      {comments.hasNextPage ? (
        <button
          type="button"
          className="secondary"
          disabled={comments.isFetchingNextPage}
          onClick={() => void comments.fetchNextPage()}
        >
          Load more comments
        </button>
      ) : null}
      <form onSubmit={submit} className="stack">
        <Field label="Comment" errors={errors.field('body')} hint="Ctrl+Enter to send.">
          {(control) => (
            <textarea
              {...control}
              rows={3}
              required
              value={body}
              onChange={(e) => setBody(e.target.value)}
              onKeyDown={onKeyDown}
            />
          )}
        </Field>
        <ErrorMessage>{errors.form}</ErrorMessage>
        <button type="submit" disabled={add.isPending}>
          Add comment
        </button>
      </form>
    </section>
  );
}
