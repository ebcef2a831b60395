import { sha256Hex } from '@trellis/auth';
import { type Database, type IdempotencyKey, isoNow, type Kysely } from '@trellis/db';
import { TRPCError, type TRPCProcedureType } from '@trpc/server';
import type { Context } from './context.js';

// `Idempotency-Key`: a mutation retried with the key it was first sent with answers what
// it answered the first time instead of running again (a create makes one thing, however
// often the network makes the client retry). Keys belong to a scope (a user, or an API
// token), are kept IDEMPOTENCY_TTL_MS, and name one request: reused for another
// procedure or input, they are refused.
//
// The crash window: the answer is written after the mutation's own transaction has
// committed, in a separate statement. Should the process die (or that write fail) in
// between, the key stays `pending` until its lease ends; a retry meanwhile is told the
// request is in progress, and one after the lease runs the mutation again. Writing the
// answer inside each mutation's transaction would close the window, at the price of
// threading the key through every procedure.

/** How long an answer is kept for replay: 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long a running request holds its key. Far longer than any request takes; short
 * enough that a key whose request died with its process is not stuck for a whole day.
 */
export const IDEMPOTENCY_LEASE_MS = 5 * 60 * 1000;

/** The name clients send keys under; quoted in every error about them. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Printable ASCII, 1 to 255 characters: a UUID fits, and so does any sane client's key. */
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

/**
 * Procedures whose answer carries a secret shown once (a credential the server keeps only
 * as a hash, or a signing secret): storing the answer for replay would keep it, and a
 * replay would show it again, so their keys are refused.
 */
const SECRET_ANSWERS: ReadonlySet<string> = new Set([
  'apiTokens.create',
  'members.invite',
  'webhooks.create',
  'webhooks.rotateSecret',
]);

/** What the idempotency check needs from a procedure call (tRPC's middleware options). */
export interface IdempotentCall {
  type: TRPCProcedureType;
  path: string;
  getRawInput(): Promise<unknown>;
}

const badKey = (message: string) =>
  new TRPCError({ code: 'BAD_REQUEST', message: `${IDEMPOTENCY_HEADER} header: ${message}` });

/**
 * Answers a mutation through the `Idempotency-Key` its request carries, for the principal
 * `scope` names: the first request with a key runs `answer` and its answer is kept; a retry
 * gets that answer (and `Idempotent-Replayed: true`) without running. Calls without a key,
 * and queries, just run. Called around the procedure's answer (trpc.ts), after its guards:
 * a tRPC middleware cannot answer without running the rest of the chain.
 */
export async function idempotentAnswer(
  ctx: Context,
  call: IdempotentCall,
  scope: string,
  answer: () => Promise<unknown>,
): Promise<unknown> {
  const key = ctx.req.idempotencyKey;
  if (key === undefined || call.type !== 'mutation') return answer();
  if (!KEY_FORMAT.test(key)) throw badKey('use 1 to 255 printable ASCII characters');
  if (SECRET_ANSWERS.has(call.path)) {
    throw badKey(`not accepted by ${call.path}, whose answer holds a secret that is not stored`);
  }
  // The calls of a batch share their request's headers: the key can name only one.
  const self = {};
  if ((await ctx.once<object>('idempotency-key', async () => self)) !== self) {
    throw badKey('names one mutation; send it on a request that is not batched');
  }

  const now = ctx.now();
  const claim: IdempotencyKey = {
    scope,
    key,
    path: call.path,
    input_hash: sha256Hex(canonicalJson(await call.getRawInput())),
    status: 'pending',
    result: null,
    created_at: isoNow(now),
    expires_at: isoNow(new Date(now.getTime() + IDEMPOTENCY_LEASE_MS)),
  };
  // A failed request releases its claim; should that happen between our claim attempt
  // and our look at the row, the key is free and we try once more.
  for (let attempt = 0; !(await claimKey(ctx.db, claim)); attempt += 1) {
    const existing = await findKey(ctx.db, scope, key);
    if (existing) return replay(ctx, claim, existing);
    if (attempt === 1) throw inProgress();
  }

  // Nothing happened when it fails, so nothing is kept: the same key may try again.
  const data = await answer().catch(async (error: unknown) => {
    await releaseKey(ctx.db, scope, key);
    throw error;
  });
  await ctx.db
    .updateTable('idempotency_keys')
    .set({
      status: 'done',
      // SQL NULL for an answer of `undefined`, which JSON cannot write.
      result: data === undefined ? null : JSON.stringify(data),
      expires_at: isoNow(new Date(now.getTime() + IDEMPOTENCY_TTL_MS)),
    })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
  return data;
}

/** Takes the key: inserts the pending row, or replaces an expired one. False if taken. */
async function claimKey(db: Kysely<Database>, claim: IdempotencyKey): Promise<boolean> {
  const outcome = await db
    .insertInto('idempotency_keys')
    .values(claim)
    .onConflict((oc) =>
      oc
        .columns(['scope', 'key'])
        .doUpdateSet(claim)
        .where('idempotency_keys.expires_at', '<=', claim.created_at),
    )
    .executeTakeFirst();
  return Number(outcome.numInsertedOrUpdatedRows ?? 0) > 0;
}

function findKey(db: Kysely<Database>, scope: string, key: string) {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
}

async function releaseKey(db: Kysely<Database>, scope: string, key: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('status', '=', 'pending')
    .execute();
}

const inProgress = () =>
  new TRPCError({
    code: 'CONFLICT',
    message: `A request with this ${IDEMPOTENCY_HEADER} is still in progress`,
  });

/** Answers a request whose key is taken: the first answer, or why there is none. */
function replay(ctx: Context, claim: IdempotencyKey, existing: IdempotencyKey): unknown {
  if (existing.path !== claim.path || existing.input_hash !== claim.input_hash) {
    throw new TRPCError({
      code: 'UNPROCESSABLE_CONTENT',
      message: `${IDEMPOTENCY_HEADER} was already used for a different request`,
    });
  }
  if (existing.status === 'pending') throw inProgress();
  ctx.setHeader('Idempotent-Replayed', 'true');
  return existing.result === null ? undefined : JSON.parse(existing.result);
}

/**
 * JSON with object keys sorted, so that a retry serialized in another key order (say,
 * by another client library) still counts as the same request.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, field: unknown) =>
    field !== null && typeof field === 'object' && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : field,
  );
}

/** Deletes answers kept past their 24 hours (and claims past their lease); returns how many. */
export async function deleteExpiredIdempotencyKeys(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('expires_at', '<=', isoNow(now))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
