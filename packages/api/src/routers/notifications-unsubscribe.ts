import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { fieldError } from '../errors.js';
import {
  parseUnsubscribeToken,
  UNSUBSCRIBE_LINK_TTL_MS,
  unsubscribeSecretMatches,
} from '../notifications/unsubscribe-token.js';
import { unsubscribedOutput } from '../outputs.js';
import { mailedNotificationOwner } from '../queries/digests.js';
import { updatePreferences } from '../queries/inbox.js';
import { publicProcedure } from '../trpc.js';

// The digest mail's unsubscribe link (`/unsubscribe#token=…` on the dashboard) lands here:
// no sign-in, the token is the proof (notifications/unsubscribe-token.ts). Spread into the
// `notifications` router.

const refused = () =>
  fieldError(
    'token',
    'This unsubscribe link is not valid (or is too old); sign in to turn email off',
  );

export const unsubscribeProcedures = {
  /**
   * Turns email digests off for the person the token's digest went to. Doing it again
   * answers the same; a token that names no mailed notification of the last 60 days is
   * refused (400 on `token`) and changes nothing.
   */
  unsubscribe: publicProcedure
    .input(z.object({ token: z.string().trim().min(1).max(200) }).strict())
    .output(unsubscribedOutput)
    .mutation(async ({ ctx, input }) => {
      const token = parseUnsubscribeToken(input.token);
      if (token === null) throw refused();
      const since = new Date(ctx.now().getTime() - UNSUBSCRIBE_LINK_TTL_MS).toISOString();
      const mailed = await mailedNotificationOwner(ctx.db, token.id, since);
      if (!mailed || !unsubscribeSecretMatches(token.secret, mailed.secretHash)) throw refused();
      await updatePreferences(ctx.db, mailed.userId, { email: false });
      return { ok: true as const, email: false as const };
    }),
} satisfies TRPCRouterRecord;
