import { useEffect } from 'react';
import { navigate, useLocation } from '../app/router';
import { paths } from '../app/routes';
import type { User } from '../app/user';
import type { Workspace } from '../app/workspace';
import { Loading } from '../forms/Alert';
import { CreateWorkspaceForm } from '../shell/CreateWorkspaceForm';
import { JoinWorkspaceForm } from '../shell/JoinWorkspaceForm';
import { PlainShell } from '../shell/PlainShell';

/** `/`: opens the first workspace, or offers to create one (always with `?new`). */
export function HomePage({ user, workspaces }: { user: User; workspaces: Workspace[] }) {
  const { search } = useLocation();
  const wantsNew = new URLSearchParams(search).has('new');
  const first = workspaces[0];
  const redirect = !wantsNew && first !== undefined;
  useEffect(() => {
    if (redirect && first) navigate(paths.overview(first.slug), { replace: true });
  }, [redirect, first]);
  if (redirect) return <Loading />;
  return (
    <PlainShell user={user}>
      <h1>{workspaces.length === 0 ? 'Create your first workspace' : 'New workspace'}</h1>
      <p className="muted">
        A workspace holds your team's projects, tasks and members. You will be its owner.
      </p>
      <CreateWorkspaceForm />
      <h2 className="spaced">Or join one</h2>
      <p className="muted">Paste the invite token a workspace admin gave you.</p>
      <JoinWorkspaceForm />
    </PlainShell>
  );
}
