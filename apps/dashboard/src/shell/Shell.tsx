import type { ReactNode } from 'react';
import { Link } from '../app/router';
import { paths, type Route } from '../app/routes';
import type { User } from '../app/user';
import { atLeast, type Role, useWorkspace, type Workspace } from '../app/workspace';
import { useLiveTasks } from '../live/useLiveTasks';
import { AccountLink } from './AccountLink';
import { SignOutButton } from './SignOutButton';
import { VerifyEmailNotice } from './VerifyEmailNotice';
import { WorkspaceSwitcher } from './WorkspaceSwitcher';

/** The pages in the navigation; `least` hides an entry from those below that role. */
const NAV: readonly {
  label: string;
  page: Route['page'];
  to: (slug: string) => string;
  least?: Role;
}[] = [
  { label: 'Overview', page: 'overview', to: paths.overview },
  { label: 'Projects', page: 'projects', to: paths.projects },
  { label: 'Tasks', page: 'tasks', to: (slug: string) => paths.tasks(slug) },
  { label: 'Board', page: 'board', to: paths.board },
  { label: 'Members', page: 'members', to: paths.members },
  { label: 'API tokens', page: 'tokens', to: paths.tokens },
  { label: 'Webhooks', page: 'webhooks', to: paths.webhooks, least: 'admin' },
];

/** The frame of every workspace page: header (switcher, user, account, sign out),
 * navigation, the email verification notice while one is due, and the live feed of task
 * changes that keeps every page current. */
export function Shell({
  user,
  workspaces,
  route,
  children,
}: {
  user: User;
  workspaces: Workspace[];
  route: Route;
  children: ReactNode;
}) {
  const workspace = useWorkspace();
  const live = useLiveTasks(workspace.id);
  const current = route.page === 'task' ? 'tasks' : route.page;
  return (
    <div className="shell">
      <header className="topbar">
        <Link to={paths.overview(workspace.slug)} className="brand">
          Trellis
        </Link>
        <WorkspaceSwitcher workspaces={workspaces} current={workspace} />
        <span className={`live-dot ${live}`} title={`Live updates: ${live}`}>
          <span className="visually-hidden">Live updates: {live}</span>
        </span>
        <span className="user" title={user.email}>
          {user.name}
        </span>
        <AccountLink />
        <SignOutButton />
      </header>
      <nav className="nav" aria-label="Main">
        <ul>
          {NAV.filter((item) => !item.least || atLeast(workspace.role, item.least)).map((item) => (
            <li key={item.page}>
              <Link
                to={item.to(workspace.slug)}
                aria-current={current === item.page ? 'page' : undefined}
              >
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <VerifyEmailNotice user={user} />
      <main className="page">{children}</main>
    </div>
  );
}
