import { isoNow, newId } from '@trellis/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { activityBus } from '../activity.js';
import type { Context } from '../context.js';
import { encodeCursor, zCursor } from '../cursor.js';
import { fieldError } from '../errors.js';
import { pingEvent, toEvent } from '../events.js';
import { locate } from '../locate.js';
import {
  LOG_EVENT_TYPES,
  okOutput,
  webhookDeliveryOutput,
  webhookDeliveryPageOutput,
  webhookOutput,
  webhookSecretOutput,
} from '../outputs.js';
import { lockWorkspace } from '../queries/activity.js';
import { countEvents, eventRow } from '../queries/events.js';
import {
  countWebhooks,
  deleteWebhook,
  eventTypesOf,
  findDelivery,
  findWebhook,
  insertWebhook,
  lastAttempt,
  listDeliveries,
  listWebhooks,
  updateWebhook,
  webhookView,
} from '../queries/webhooks.js';
import { zId, zLine } from '../schemas.js';
import { workspaceInput, workspaceProcedure } from '../trpc.js';
import { sendAttempt } from '../webhooks/deliver.js';
import type { WebhookSettings } from '../webhooks/settings.js';
import { newWebhookSecret } from '../webhooks/signing.js';

// Admins manage a workspace's webhook endpoints. What is sent, and when, is the delivery
// worker's (webhooks/worker.ts); these procedures change what it reads: the endpoint, its
// secret, its cursor (replay), and send the odd request themselves (test, redeliver).

/** Endpoints one workspace may have. */
export const MAX_WEBHOOKS_PER_WORKSPACE = 20;
/** How long the secret before a rotation keeps signing beside the new one. */
const PREVIOUS_SECRET_MS = 24 * 60 * 60 * 1000;

const zUrl = z.string().trim().min(1, 'is empty').max(2000, 'is longer than 2000 characters');
const zEventTypes = z
  .array(z.enum(LOG_EVENT_TYPES))
  .min(1, 'List at least one event type, or omit it (or send null) for every type')
  .max(LOG_EVENT_TYPES.length)
  .transform((types) => [...new Set(types)]);
const webhookInput = z.object({ webhookId: zId });
/** A line of up to 200 characters, or '' for none. */
const zDescription = z.union([z.literal(''), zLine(200)]);
const zDeliveryCursor = zCursor(z.object({ before: z.int().positive() }).strict());

const webhookNotFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Webhook not found' });

/** The server's webhook settings, or SERVICE_UNAVAILABLE. */
function settingsOf(ctx: Context): WebhookSettings {
  if (ctx.config.webhooks) return ctx.config.webhooks;
  throw new TRPCError({
    code: 'SERVICE_UNAVAILABLE',
    message: 'This server does not send webhooks',
  });
}

/** Refuses a URL the server will not send to, as a field error on `url`. */
async function requireAllowedUrl(settings: WebhookSettings, url: string): Promise<void> {
  const problem = await settings.checkUrl(url);
  if (problem !== undefined) throw fieldError('url', problem);
}

async function requireWebhook(ctx: Context, workspaceId: string, webhookId: string) {
  const row = await findWebhook(ctx.db, workspaceId, webhookId);
  if (!row) throw webhookNotFound();
  return row;
}

export const webhooksRouter = {
  create: workspaceProcedure('admin')
    .input(
      workspaceInput
        .extend({
          url: zUrl,
          events: zEventTypes.nullable().optional(),
          description: zDescription.optional(),
        })
        .strict(),
    )
    .output(webhookSecretOutput)
    .mutation(async ({ ctx, input }) => {
      const settings = settingsOf(ctx);
      await requireAllowedUrl(settings, input.url);
      const id = newId();
      const secret = newWebhookSecret();
      await ctx.db.transaction().execute(async (trx) => {
        // Creations in a workspace take turns under its lock: two at once cannot both
        // pass the cap.
        await lockWorkspace(trx, ctx.workspace.id);
        if ((await countWebhooks(trx, ctx.workspace.id)) >= MAX_WEBHOOKS_PER_WORKSPACE) {
          throw new TRPCError({
            code: 'CONFLICT',
            message: `A workspace has at most ${MAX_WEBHOOKS_PER_WORKSPACE} webhooks; delete one first`,
          });
        }
        await insertWebhook(trx, {
          id,
          workspaceId: ctx.workspace.id,
          url: input.url,
          description: input.description ?? '',
          events: input.events ?? null,
          secret,
          createdBy: ctx.actor.userId,
          at: isoNow(ctx.now()),
        });
      });
      return { id, secret };
    }),

  list: workspaceProcedure('admin')
    .input(workspaceInput.strict())
    .output(z.array(webhookOutput))
    .query(async ({ ctx }) => (await listWebhooks(ctx.db, ctx.workspace.id)).map(webhookView)),

  update: workspaceProcedure('admin', locate.webhook)
    .input(
      webhookInput
        .extend({
          url: zUrl.optional(),
          events: zEventTypes.nullable().optional(),
          description: zDescription.optional(),
          enabled: z.boolean().optional(),
        })
        .strict()
        .refine(
          ({ webhookId: _, ...patch }) => Object.values(patch).some((v) => v !== undefined),
          'Nothing to change',
        ),
    )
    .output(webhookOutput)
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const before = await requireWebhook(ctx, workspaceId, input.webhookId);
      if (input.url !== undefined) await requireAllowedUrl(settingsOf(ctx), input.url);
      const now = isoNow(ctx.now());
      const enabling = input.enabled === true && Number(before.enabled) !== 1;
      const disabling = input.enabled === false && Number(before.enabled) === 1;
      // A new address is worth trying at once, not after the old one's retry delay.
      const moved = input.url !== undefined && input.url !== before.url;
      await updateWebhook(ctx.db, workspaceId, input.webhookId, {
        ...(input.url !== undefined && { url: input.url }),
        ...(input.events !== undefined && {
          events: input.events === null ? null : JSON.stringify(input.events),
        }),
        ...(input.description !== undefined && { description: input.description }),
        // Enabled again: the event that failed is tried at once, from the start of a new
        // retry window. Disabled by an admin: no reason of the server's to show.
        ...(enabling && {
          enabled: 1,
          disabled_reason: null,
          attempts: 0,
          failing_since: null,
          next_attempt_at: null,
        }),
        ...(disabling && { enabled: 0, disabled_reason: null }),
        ...(moved && { next_attempt_at: null }),
        // Whatever a worker holds now, it lets go at its next step and sees the change.
        ...((enabling || disabling || moved) && { lease_owner: null, lease_expires_at: null }),
        updated_at: now,
      });
      if (enabling || moved) activityBus.notify(workspaceId);
      return webhookView(await requireWebhook(ctx, workspaceId, input.webhookId));
    }),

  rotateSecret: workspaceProcedure('admin', locate.webhook)
    .input(webhookInput.strict())
    .output(webhookSecretOutput)
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const before = await requireWebhook(ctx, workspaceId, input.webhookId);
      const now = ctx.now();
      const secret = newWebhookSecret();
      await updateWebhook(ctx.db, workspaceId, before.id, {
        secret,
        previous_secret: before.secret,
        previous_secret_expires_at: isoNow(new Date(now.getTime() + PREVIOUS_SECRET_MS)),
        updated_at: isoNow(now),
      });
      return { id: before.id, secret };
    }),

  delete: workspaceProcedure('admin', locate.webhook)
    .input(webhookInput.strict())
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      if (!(await deleteWebhook(ctx.db, ctx.workspace.id, input.webhookId))) {
        throw webhookNotFound();
      }
      return { ok: true as const };
    }),

  test: workspaceProcedure('admin', locate.webhook)
    .input(webhookInput.strict())
    .output(webhookDeliveryOutput)
    .mutation(async ({ ctx, input }) => {
      const settings = settingsOf(ctx);
      const row = await requireWebhook(ctx, ctx.workspace.id, input.webhookId);
      const at = ctx.now();
      const event = pingEvent({
        id: newId(),
        workspaceId: row.workspace_id,
        webhookId: row.id,
        actor: null,
        at,
      });
      const attempt = { webhook: row, event, position: null, attempt: 1, trigger: 'ping' as const };
      return (await sendAttempt(ctx.db, settings, attempt, ctx.now)).delivery;
    }),

  deliveries: workspaceProcedure('admin', locate.webhook)
    .input(
      webhookInput
        .extend({
          cursor: zDeliveryCursor.optional(),
          limit: z.number().int().min(1).max(100).default(50),
        })
        .strict(),
    )
    .output(webhookDeliveryPageOutput)
    .query(async ({ ctx, input }) => {
      await requireWebhook(ctx, ctx.workspace.id, input.webhookId);
      const { items, last } = await listDeliveries(ctx.db, input.webhookId, {
        before: input.cursor?.before,
        limit: input.limit,
      });
      return {
        items,
        nextCursor: last === null ? null : encodeCursor({ before: last }),
      };
    }),

  redeliver: workspaceProcedure('admin', locate.delivery)
    .input(z.object({ deliveryId: zId }).strict())
    .output(webhookDeliveryOutput)
    .mutation(async ({ ctx, input }) => {
      const settings = settingsOf(ctx);
      const workspaceId = ctx.workspace.id;
      const delivery = await findDelivery(ctx.db, workspaceId, input.deliveryId);
      if (!delivery) throw new TRPCError({ code: 'NOT_FOUND', message: 'Delivery not found' });
      const row = await requireWebhook(ctx, workspaceId, delivery.webhookId);
      const at = ctx.now();
      let event: Parameters<typeof sendAttempt>[2]['event'];
      if (delivery.position === null) {
        // A ping: sent again as it was (same id), at a new time.
        event = pingEvent({
          id: delivery.eventId,
          workspaceId,
          webhookId: row.id,
          actor: null,
          at,
        });
      } else {
        const entry = await eventRow(ctx.db, workspaceId, delivery.eventId);
        if (!entry) {
          throw new TRPCError({ code: 'NOT_FOUND', message: 'Event no longer in the log' });
        }
        event = toEvent(entry);
      }
      const attempt = (await lastAttempt(ctx.db, row.id, event.id)) + 1;
      const result = await sendAttempt(
        ctx.db,
        settings,
        {
          webhook: row,
          event,
          position: delivery.position === null ? null : Number(delivery.position),
          attempt,
          trigger: 'redelivery',
        },
        ctx.now,
      );
      return result.delivery;
    }),

  replay: workspaceProcedure('admin', locate.webhook)
    .input(webhookInput.extend({ fromEventId: zId }).strict())
    .output(z.object({ queued: z.int() }))
    .mutation(async ({ ctx, input }) => {
      const workspaceId = ctx.workspace.id;
      const row = await requireWebhook(ctx, workspaceId, input.webhookId);
      const from = await eventRow(ctx.db, workspaceId, input.fromEventId);
      if (!from) {
        throw fieldError('fromEventId', 'Unknown event id: pass one this workspace issued');
      }
      // Back to just before the event; the worker sends everything from there in order, and
      // whatever it holds now it lets go at its next step.
      await updateWebhook(ctx.db, workspaceId, row.id, {
        cursor: from.position - 1,
        attempts: 0,
        failing_since: null,
        next_attempt_at: null,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: isoNow(ctx.now()),
      });
      // The worker listens to the bus for work (this process's at once, others' in 1 s).
      activityBus.notify(workspaceId);
      const queued = await countEvents(ctx.db, workspaceId, {
        after: from.position - 1,
        types: eventTypesOf(row),
      });
      return { queued };
    }),
} satisfies TRPCRouterRecord;
