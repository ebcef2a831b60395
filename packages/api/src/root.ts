import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { importsRouter } from './imports/router.js';
import { activityRouter } from './routers/activity.js';
import { apiTokensRouter } from './routers/apiTokens.js';
import { attachmentsRouter } from './routers/attachments.js';
import { authRouter } from './routers/auth.js';
import { commentsRouter } from './routers/comments.js';
import { eventsRouter } from './routers/events.js';
import { invitesRouter } from './routers/invites.js';
import { membersRouter } from './routers/members.js';
import { notificationsRouter } from './routers/notifications.js';
import { projectsRouter } from './routers/projects.js';
import { searchRouter } from './routers/search.js';
import { statsRouter } from './routers/stats.js';
import { tasksRouter } from './routers/tasks.js';
import { viewsRouter } from './routers/views.js';
import { webhooksRouter } from './routers/webhooks.js';
import { workspacesRouter } from './routers/workspaces.js';
import { createCallerFactory, router } from './trpc.js';

/** Every procedure Trellis serves. */
export const appRouter = router({
  auth: authRouter,
  workspaces: workspacesRouter,
  // Invites have their own router but keep their paths: members.invite, members.invites, …
  members: { ...membersRouter, ...invitesRouter },
  apiTokens: apiTokensRouter,
  projects: projectsRouter,
  tasks: tasksRouter,
  views: viewsRouter,
  comments: commentsRouter,
  attachments: attachmentsRouter,
  activity: activityRouter,
  events: eventsRouter,
  webhooks: webhooksRouter,
  search: searchRouter,
  stats: statsRouter,
  imports: importsRouter,
  notifications: notificationsRouter,
});

/** The router's type: all a client needs to know about the API. */
export type AppRouter = typeof appRouter;
/** Input types of every procedure, by path. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Output types of every procedure, by path. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Calls procedures in-process with a given context (tests, scripts). */
export const createCaller = createCallerFactory(appRouter);
