import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RouterOutputs } from '@trellis/client';
import { type FormEvent, useState } from 'react';
import { messageOf } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { atLeast, type Role, useWorkspace } from '../app/workspace';
import { ErrorMessage, Loading } from '../forms/Alert';
import { Field } from '../forms/Field';
import { formErrors } from '../forms/formErrors';
import { SecretOnce } from '../forms/SecretOnce';
import { formatTime } from '../tasks/time';
import { useMembers } from '../tasks/useWorkspaceData';

type Member = RouterOutputs['members']['list'][number];

const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

/** Roles the current user may hand out: admins up to admin, owners any. */
function grantable(mine: Role): readonly Role[] {
  return mine === 'owner' ? ROLES : ROLES.filter((role) => role !== 'owner');
}

/** Who is in the workspace; admins invite, change roles and remove people here. */
export function MembersPage() {
  const workspace = useWorkspace();
  const members = useMembers();
  const isAdmin = atLeast(workspace.role, 'admin');
  return (
    <>
      <h1>Members</h1>
      {isAdmin ? <InviteForm /> : null}
      <section>
        <h2 id="member-list">People</h2>
        {members.isPending ? <Loading /> : null}
        <ErrorMessage>{members.isError ? messageOf(members.error) : null}</ErrorMessage>
        <ul className="list members">
          {members.data?.map((member) => (
            <MemberRow key={member.userId} member={member} canManage={isAdmin} />
          ))}
        </ul>
      </section>
    </>
  );
}

function MemberRow({ member, canManage }: { member: Member; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useWorkspace();
  const refresh = () => queryClient.invalidateQueries(trpc.members.list.pathFilter());
  const updateRole = useMutation(trpc.members.updateRole.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSettled: refresh }));
  const roles = grantable(workspace.role);
  const manageable = canManage && (workspace.role === 'owner' || member.role !== 'owner');
  const error = updateRole.error ?? remove.error;
  return (
    <li className="member-row">
      <span>
        <strong>{member.name}</strong> <span className="muted">{member.email}</span>
      </span>
      <span className="muted">joined {formatTime(member.joinedAt)}</span>
      {manageable ? (
        <>
          <label className="inline">
            <span className="visually-hidden">Role of {member.email}</span>
            <select
              value={member.role}
              disabled={updateRole.isPending}
              onChange={(e) =>
                updateRole.mutate({
                  workspaceId: workspace.id,
                  userId: member.userId,
                  role: e.target.value as Role,
                })
              }
            >
              {roles.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="secondary"
            disabled={remove.isPending}
            onClick={() => remove.mutate({ workspaceId: workspace.id, userId: member.userId })}
          >
            Remove
          </button>
        </>
      ) : (
        <span className="badge">{member.role}</span>
      )}
      <ErrorMessage>{error ? messageOf(error) : null}</ErrorMessage>
    </li>
  );
}

function InviteForm() {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const invite = useMutation(
    trpc.members.invite.mutationOptions({ onSuccess: () => setEmail('') }),
  );
  const errors = formErrors(invite.error, ['email', 'role']);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate({ workspaceId: workspace.id, email, role });
  };
  return (
    <section className="card stack">
      <h2 id="invite-title">Invite someone</h2>
      <form className="inline-form" onSubmit={submit}>
        <Field label="Email" errors={errors.field('email')}>
          {(control) => (
            <input
              {...control}
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Role" errors={errors.field('role')}>
          {(control) => (
            <select {...control} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {grantable(workspace.role).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" disabled={invite.isPending}>
          Invite
        </button>
      </form>
      <ErrorMessage>{errors.form}</ErrorMessage>
      {invite.data ? (
        <SecretOnce
          label={`Invite token for ${invite.data.email} (${invite.data.role}), valid until ${formatTime(invite.data.expiresAt)}`}
          secret={invite.data.inviteToken}
        />
      ) : null}
    </section>
  );
}
