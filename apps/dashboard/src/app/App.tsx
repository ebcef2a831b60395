import { useQuery } from '@tanstack/react-query';
import { isTrellisError } from '@trellis/client';
import { useEffect } from 'react';
import { ForgotPasswordPage } from '../auth/ForgotPasswordPage';
import { ResetPasswordPage } from '../auth/ResetPasswordPage';
import { SignInPage } from '../auth/SignInPage';
import { SignUpPage } from '../auth/SignUpPage';
import { UnsubscribePage } from '../auth/UnsubscribePage';
import { VerifyEmailPage } from '../auth/VerifyEmailPage';
import { ErrorMessage, Loading } from '../forms/Alert';
import { AccountPage } from '../pages/AccountPage';
import { BoardPage } from '../pages/BoardPage';
import { HomePage } from '../pages/HomePage';
import { MembersPage } from '../pages/MembersPage';
import { NotFoundPage } from '../pages/NotFoundPage';
import { OverviewPage } from '../pages/OverviewPage';
import { ProjectsPage } from '../pages/ProjectsPage';
import { TaskDetailPage } from '../pages/TaskDetailPage';
import { TasksPage } from '../pages/TasksPage';
import { TokensPage } from '../pages/TokensPage';
import { WebhooksPage } from '../pages/WebhooksPage';
import { Shell } from '../shell/Shell';
import { messageOf } from './errors';
import { navigate, useLocation } from './router';
import { parseRoute, paths, type Route } from './routes';
import { useTRPC } from './trpc';
import { WorkspaceContext } from './workspace';

/** The dashboard: the page for the current path, behind sign-in where it needs one. The
 * pages of mailed links open signed out too (see PUBLIC_PAGES). */
export function App() {
  const location = useLocation();
  const route = parseRoute(location.pathname);
  switch (route.page) {
    case 'sign-in':
      return <SignInPage />;
    case 'sign-up':
      return <SignUpPage />;
    case 'forgot-password':
      return <ForgotPasswordPage />;
    case 'reset-password':
      return <ResetPasswordPage />;
    case 'verify-email':
      return <VerifyEmailPage />;
    case 'unsubscribe':
      return <UnsubscribePage />;
    default:
      return <SignedIn route={route} />;
  }
}

function SignedIn({ route }: { route: Route }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const unauthorized = isTrellisError(me.error) && me.error.code === 'UNAUTHORIZED';
  useEffect(() => {
    if (unauthorized) navigate(paths.signIn, { replace: true });
  }, [unauthorized]);

  if (me.isPending || unauthorized) return <Loading />;
  if (me.isError) {
    return (
      <main className="page">
        <h1>Trellis</h1>
        <ErrorMessage>{messageOf(me.error)}</ErrorMessage>
        <button type="button" onClick={() => me.refetch()}>
          Retry
        </button>
      </main>
    );
  }
  const { user, workspaces } = me.data;
  if (route.page === 'home') return <HomePage user={user} workspaces={workspaces} />;
  if (route.page === 'account') return <AccountPage user={user} />;
  if (!('slug' in route)) return <NotFoundPage />;
  const workspace = workspaces.find((w) => w.slug === route.slug);
  if (!workspace) {
    return <NotFoundPage message={`No workspace "${route.slug}" among yours.`} />;
  }
  return (
    <WorkspaceContext.Provider key={workspace.id} value={workspace}>
      <Shell user={user} workspaces={workspaces} route={route}>
        <WorkspacePage route={route} />
      </Shell>
    </WorkspaceContext.Provider>
  );
}

function WorkspacePage({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'projects':
      return <ProjectsPage />;
    case 'tasks':
      return <TasksPage />;
    case 'task':
      return <TaskDetailPage taskId={route.taskId} />;
    case 'board':
      return <BoardPage />;
    case 'members':
      return <MembersPage />;
    case 'tokens':
      return <TokensPage />;
    case 'webhooks':
      return <WebhooksPage />;
    default:
      return <NotFoundPage />;
  }
}
