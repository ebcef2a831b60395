// Property-based fuzzing of every tRPC procedure over real HTTP (issue 9, "Bad input"):
// valid-ish inputs from each zod schema with real ids (the caller's and a victim's), hostile
// mutations, raw non-JSON bodies, single calls and batches. The property: every answer is a
// 2xx or a documented 4xx, never a 5xx; the server stays healthy; and no row of a workspace
// the caller is not a member of changes. Replay a run with TRELLIS_FUZZ_SEED=<seed>.
import { appRouter, type ProcedureSchemas, procedureSchemas } from '@trellis/api';
import { createSession } from '@trellis/auth';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, verifyEmailByMail } from '../test/support/server.js';
import { caseArbitrary, payloadArbitrary } from './support/fuzz-cases.js';
import {
  type Bystander,
  createBystander,
  createCaller,
  createVictim,
  idPool,
  type Victim,
} from './support/fuzz-fixtures.js';
import { type Credentials, type Payload, send, violation } from './support/fuzz-http.js';
import { foreignNewWorkspaces, victimDigest, workspaceIds } from './support/fuzz-snapshot.js';
import { profile } from './support/profile.js';

const seed = process.env.TRELLIS_FUZZ_SEED
  ? Number(process.env.TRELLIS_FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const replay = `fuzz seed: ${seed} (replay: TRELLIS_FUZZ_SEED=${seed} pnpm test:reliability)`;
console.log(replay);

const schemas = procedureSchemas(appRouter);
/** TRELLIS_FUZZ_ONLY=a,b fuzzes only those procedures (to replay one; the coverage check fails). */
const only = process.env.TRELLIS_FUZZ_ONLY?.split(',').filter(Boolean);
const allPaths = [...schemas.keys()];
const paths = allPaths.filter((path) => !only || only.includes(path));

/** Counts for the summary line. */
const tally = {
  fuzzed: new Set<string>(),
  single: 0,
  batched: 0,
  calls: 0,
  byStatus: new Map<number, number>(),
  serverErrors: 0,
  /** Calls of each procedure (as the fuzzed one) that succeeded: the handler was reached. */
  okByPath: new Map<string, number>(),
};

let server: TestServer;
let victim: Victim;
let bystander: Bystander;
let baseline: Record<string, string>;
const started = Date.now();
/** Setup's people verify their address from the mail (only they may accept invites). */
const verify = (email: string) => verifyEmailByMail(server, email);

beforeAll(async () => {
  // The reminder and digest passes are the server's own writes to the victim's inbox
  // (what they write is their suites' business): one at start, then none within the run.
  server = await startTestServer({ reminderIntervalMs: 60 * 60 * 1000 });
  victim = await createVictim(server.url, verify);
  bystander = await createBystander(server.url, verify);
  baseline = await victimDigest(server.db, victim);
});

afterAll(async () => {
  await server?.close();
  const statuses = [...tally.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  console.log(
    `fuzz summary: ${tally.fuzzed.size}/${paths.length} procedures, ` +
      `${tally.single + tally.batched} cases (${tally.single} single + ${tally.batched} batched, ` +
      `${tally.calls} calls), statuses ${statuses}, 5xx=${tally.serverErrors}, seed ${seed}, ` +
      `profile ${profile.name}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(
    `fuzz successes per procedure: ${paths.map((path) => `${path}=${tally.okByPath.get(path) ?? 0}`).join(' ')}`,
  );
});

/** The payload generators of every procedure of `type`, for batch companions. */
function payloadsOfType(
  type: ProcedureSchemas['type'],
  ids: ReturnType<typeof idPool>,
): Map<string, fc.Arbitrary<Payload>> {
  const payloads = new Map<string, fc.Arbitrary<Payload>>();
  for (const [path, procedure] of schemas) {
    if (procedure.type === type) payloads.set(path, payloadArbitrary(procedure, ids));
  }
  return payloads;
}

async function status(url: string, token?: string): Promise<number> {
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  await response.arrayBuffer();
  return response.status;
}

describe('fuzzing every procedure', () => {
  // Each procedure's seed is the run's seed plus its place among all procedures, so that
  // TRELLIS_FUZZ_ONLY replays one with the inputs the full run gave it.
  it.each(paths.map((path) => [path, allPaths.indexOf(path)] as const))(
    '%s: 2xx or documented 4xx, server healthy, victim untouched',
    async (path, index) => {
      const procedure = schemas.get(path) as ProcedureSchemas;
      // A fresh caller per procedure: one procedure's signOutEverywhere or workspaces.delete
      // cannot starve the next of a session or of rows.
      const caller = await createCaller(server.url, bystander, verify);
      const ids = idPool(caller, victim, bystander);
      const credentials: Credentials = {
        sessionToken: caller.person.token,
        apiToken: caller.rows.apiToken,
      };
      const workspacesBefore = await workspaceIds(server.db);
      const cases = caseArbitrary(path, procedure, payloadsOfType(procedure.type, ids));
      const bodyLimit = server.app.initialConfig.bodyLimit ?? 1024 * 1024;

      await fc.assert(
        fc.asyncProperty(cases, async (fuzzCase) => {
          const exchange = await send(server.url, procedure.type, fuzzCase.calls, {
            credential: fuzzCase.credential,
            credentials,
            batch: fuzzCase.batch,
            bodyLimit,
          });
          tally.fuzzed.add(path);
          if (fuzzCase.batch) tally.batched += 1;
          else tally.single += 1;
          tally.calls += fuzzCase.calls.length;
          tally.byStatus.set(exchange.status, (tally.byStatus.get(exchange.status) ?? 0) + 1);
          if (exchange.status >= 500) tally.serverErrors += 1;
          if (exchange.answers[0]?.status === 200) {
            tally.okByPath.set(path, (tally.okByPath.get(path) ?? 0) + 1);
          }
          const why = violation(exchange);
          if (why) {
            throw new Error(
              `${path}: ${why}\n  sent: ${exchange.request}\n  got: ${exchange.status} ${exchange.body}\n  ${replay}`,
            );
          }
          // The caller may sign itself out (signOut, signOutEverywhere, sessions.revoke):
          // it signs in again, so later cases still reach the procedure.
          if (exchange.status === 401 && fuzzCase.credential !== 'none') {
            credentials.sessionToken = (await createSession(server.db, caller.person.id)).token;
          }
        }),
        {
          seed: seed + index,
          numRuns: profile.fuzzRunsPerProcedure,
          // Shrinking a failure re-sends requests: bounded, and a cut-off run fails.
          interruptAfterTimeLimit: 60_000,
          markInterruptAsFailure: true,
        },
      );

      expect(await status(`${server.url}/healthz`), 'healthz').toBe(200);
      expect(await status(`${server.url}/trpc/auth.me`, bystander.person.token), 'auth.me').toBe(
        200,
      );
      expect(await victimDigest(server.db, victim), `victim rows after ${path}; ${replay}`).toEqual(
        baseline,
      );
      expect(
        await foreignNewWorkspaces(server.db, workspacesBefore, caller.person.id),
        `workspaces created for someone else by ${path}`,
      ).toEqual([]);
      // The server runs in this process: a polluted prototype would show here.
      expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
    },
  );

  it('fuzzed every procedure the router serves', () => {
    expect([...tally.fuzzed].sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
    expect(tally.serverErrors).toBe(0);
  });
});
