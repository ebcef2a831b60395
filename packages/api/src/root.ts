import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { apiTokensRouter } from './routers/apiTokens.js';
import { authRouter } from './routers/auth.js';
import { membersRouter } from './routers/members.js';
import { workspacesRouter } from './routers/workspaces.js';
import { createCallerFactory, router } from './trpc.js';

/** Every procedure Trellis serves. */
export const appRouter = router({
  auth: authRouter,
  workspaces: workspacesRouter,
  members: membersRouter,
  apiTokens: apiTokensRouter,
});

/** The router's type: all a client needs to know about the API. */
export type AppRouter = typeof appRouter;
/** Input types of every procedure, by path. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Output types of every procedure, by path. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Calls procedures in-process with a given context (tests, scripts). */
export const createCaller = createCallerFactory(appRouter);
