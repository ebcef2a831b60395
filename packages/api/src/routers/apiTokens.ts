import { createApiToken, listApiTokens, revokeApiToken } from '@trellis/auth';
import { API_TOKEN_SCOPES } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { apiTokenCreatedOutput, apiTokenOutput, okOutput } from '../outputs.js';
import { zId, zName } from '../schemas.js';
import { workspaceInput, workspaceUserProcedure } from '../trpc.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function withoutWorkspace<T extends { workspaceId: string }>({ workspaceId: _, ...rest }: T) {
  return rest;
}

// Admins manage tokens; tokens themselves never do (workspaceUserProcedure).
export const apiTokensRouter = {
  create: workspaceUserProcedure('admin')
    .input(
      workspaceInput
        .extend({
          name: zName,
          scope: z.enum(API_TOKEN_SCOPES),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        })
        .strict(),
    )
    .output(apiTokenCreatedOutput)
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      const { token, info } = await createApiToken(
        ctx.db,
        {
          workspaceId: ctx.workspace.id,
          name: input.name,
          scope: input.scope,
          createdBy: ctx.user.id,
          expiresAt:
            input.expiresInDays === undefined
              ? null
              : new Date(now.getTime() + input.expiresInDays * DAY_MS),
        },
        now,
      );
      return { ...withoutWorkspace(info), token };
    }),

  list: workspaceUserProcedure('admin')
    .input(workspaceInput.strict())
    .output(z.array(apiTokenOutput))
    .query(async ({ ctx }) =>
      (await listApiTokens(ctx.db, ctx.workspace.id)).map(withoutWorkspace),
    ),

  revoke: workspaceUserProcedure('admin')
    .input(workspaceInput.extend({ tokenId: zId }).strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      if (!(await revokeApiToken(ctx.db, ctx.workspace.id, input.tokenId, ctx.now()))) {
        throw new TRPCError({ code: 'NOT_FOUND', message: 'API token not found' });
      }
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord;
