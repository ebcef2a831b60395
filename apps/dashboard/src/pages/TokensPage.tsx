import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RouterOutputs } from '@trellis/client';
import { type FormEvent, useState } from 'react';
import { messageOf } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { atLeast, useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { SecretOnce } from '../forms/SecretOnce';
import { formatTime } from '../tasks/time';

type ApiToken = RouterOutputs['apiTokens']['list'][number];
type Scope = ApiToken['scope'];

/** API tokens for scripts and integrations (admins only): create (the secret is shown
 * once), list, revoke. */
export function TokensPage() {
  const workspace = useWorkspace();
  if (!atLeast(workspace.role, 'admin')) {
    return (
      <>
        <h1>API tokens</h1>
        <p className="empty">Only admins and owners manage this workspace's API tokens.</p>
      </>
    );
  }
  return (
    <>
      <h1>API tokens</h1>
      <CreateTokenForm />
      <TokenList />
    </>
  );
}

function CreateTokenForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useWorkspace();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('read');
  const [days, setDays] = useState('');
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        setDays('');
        await queryClient.invalidateQueries(trpc.apiTokens.list.pathFilter());
      },
    }),
  );
  const errors = formErrors(create.error, ['name', 'scope', 'expiresInDays']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      workspaceId: workspace.id,
      name,
      scope,
      ...(days.trim() ? { expiresInDays: Number(days) } : {}),
    });
  };
  return (
    <section className="card stack">
      <h2 id="create-token-title">New token</h2>
      <form className="inline-form" onSubmit={submit}>
        <Field label="Name" errors={errors.field('name')}>
          {(control) => (
            <input {...control} required value={name} onChange={(e) => setName(e.target.value)} />
          )}
        </Field>
        <Field label="Scope" errors={errors.field('scope')}>
          {(control) => (
            <select
              {...control}
              value={scope}
              onChange={(e) => setScope(e.target.value === 'write' ? 'write' : 'read')}
            >
              <option value="read">read</option>
              <option value="write">write</option>
            </select>
          )}
        </Field>
        <Field label="Expires in days" errors={errors.field('expiresInDays')} hint="Empty: never.">
          {(control) => (
            <input
              {...control}
              type="number"
              min={1}
              max={3650}
              inputMode="numeric"
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <ErrorMessage>{errors.form}</ErrorMessage>
      {create.data ? (
        <SecretOnce
          label={`Token "${create.data.name}" (${create.data.scope})`}
          secret={create.data.token}
        />
      ) : null}
    </section>
  );
}

function TokenList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useWorkspace();
  const tokens = useQuery(trpc.apiTokens.list.queryOptions({ workspaceId: workspace.id }));
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.apiTokens.list.pathFilter()),
    }),
  );
  return (
    <section>
      <h2 id="token-list">Tokens</h2>
      {tokens.isPending ? <Loading /> : null}
      <ErrorMessage>{tokens.isError ? messageOf(tokens.error) : null}</ErrorMessage>
      <ErrorMessage>{revoke.isError ? messageOf(revoke.error) : null}</ErrorMessage>
      {tokens.data?.length === 0 ? <p className="empty">No API tokens yet.</p> : null}
      <ul className="list">
        {tokens.data?.map((token) => (
          <li key={token.id} className="token-row">
            <span>
              <strong>{token.name}</strong> <span className="badge">{token.scope}</span>
            </span>
            <span className="muted">
              created {formatTime(token.createdAt)}
              {token.lastUsedAt ? ` · last used ${formatTime(token.lastUsedAt)}` : ' · never used'}
              {token.expiresAt ? ` · expires ${formatTime(token.expiresAt)}` : ''}
            </span>
            {token.revokedAt ? (
              <span className="badge">revoked</span>
            ) : (
              <button
                type="button"
                className="secondary"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ workspaceId: workspace.id, tokenId: token.id })}
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
