import { handleTaken, updateProfile } from '@trellis/auth';
import { isUniqueViolation } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { userOutput } from '../outputs.js';
import { enforceRateLimits } from '../rate-limits.js';
import { zHandle, zName } from '../schemas.js';
import { protectedProcedure } from '../trpc.js';

// auth.updateProfile: what others see of a person, their name and their handle (how they
// are mentioned). Mentions already written keep pointing at the person (they are stored
// by user id, with the text written), so a new handle breaks none of them. Every call
// counts against the caller's profileChangesPerUser limit (rate-limits.ts) before anything
// is looked up: a CONFLICT tells whether a handle is taken, so unlimited calls would let
// anyone signed in list the handles in use.

const handleTakenError = (handle: string) =>
  new TRPCError({ code: 'CONFLICT', message: `handle: @${handle} is already taken` });

export const profileProcedures = {
  updateProfile: protectedProcedure
    .input(
      z
        .object({ name: zName.optional(), handle: zHandle.optional() })
        .strict()
        .refine((input) => input.name !== undefined || input.handle !== undefined, {
          message: 'Nothing to change: give name and/or handle',
        }),
    )
    .output(userOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimits(ctx, [
        { key: `profile:user:${ctx.user.id}`, rule: 'profileChangesPerUser' },
      ]);
      const { handle } = input;
      // Checked first for a clear answer; the unique index still decides a race.
      if (handle !== undefined && (await handleTaken(ctx.db, handle, ctx.user.id))) {
        throw handleTakenError(handle);
      }
      const user = await updateProfile(ctx.db, ctx.user.id, input, ctx.now()).catch(
        (error: unknown) => {
          throw isUniqueViolation(error) && handle !== undefined ? handleTakenError(handle) : error;
        },
      );
      if (!user)
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Session expired or invalid' });
      return user;
    }),
} satisfies TRPCRouterRecord;
