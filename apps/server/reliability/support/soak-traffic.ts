import { isTrellisError, type RouterInputs, type TrellisClient } from '@trellis/client';
import { seededRandom } from './seeded-random.js';
import type { LatencyRecorder } from './soak-latency.js';
import type { KnownTask, SoakLedger } from './soak-ledger.js';
import type { SoakWorld } from './soak-world.js';

// The soak's traffic: closed-loop workers (each sends its next call when the last one has
// answered, so concurrency stays steady), each acting as one user in a random one of that
// user's workspaces, with a weighted mix of the calls a team's clients make.

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'] as const;
const LABELS = ['bug', 'ui', 'api', 'docs'] as const;
const STATUSES = ['todo', 'in_progress', 'done'] as const;

/** The kinds of call and how often each is made (weights out of 100). */
export const MIX = {
  create: 14,
  update: 10,
  comment: 10,
  list: 16,
  get: 10,
  search: 8,
  stats: 6,
  activity: 8,
  batch: 8,
  members: 5,
  comments: 5,
} as const;
export type CallKind = keyof typeof MIX;

function pickKind(random: () => number): CallKind {
  let roll = random() * 100;
  for (const [kind, weight] of Object.entries(MIX) as [CallKind, number][]) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'list';
}

function oneOf<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

type ListInput = RouterInputs['tasks']['list'];

/** One of the list views the dashboard offers (filters and orders), for `workspaceId`. */
function listView(workspaceId: string, projectIds: string[], random: () => number): ListInput {
  const base = { workspaceId, limit: 20 };
  switch (Math.floor(random() * 6)) {
    case 0:
      return { ...base, projectId: oneOf(projectIds, random) };
    case 1:
      return { ...base, status: [oneOf(STATUSES, random)] };
    case 2:
      return { ...base, label: oneOf(LABELS, random), sort: 'updated' };
    case 3:
      return { ...base, sort: 'priority', order: 'asc' };
    case 4:
      return { ...base, sort: 'due', assigneeId: null };
    default:
      return { ...base, q: oneOf(WORDS, random) };
  }
}

/** Everything a worker needs. */
export interface TrafficContext {
  world: SoakWorld;
  ledger: SoakLedger;
  latency: LatencyRecorder;
}

/** A call's outcome: `ok` or the error code (`network` when no server answered). */
function outcomeOf(error: unknown): { outcome: string; detail: string } {
  if (!isTrellisError(error)) return { outcome: 'thrown', detail: String(error) };
  const code = error.code ?? 'network';
  return { outcome: code, detail: `${error.status ?? '-'} ${code}: ${error.message}` };
}

/** Runs `call` as one call of `kind`, timing it and counting its outcome. */
async function timed(
  ctx: TrafficContext,
  kind: CallKind,
  call: () => Promise<void>,
  expected: readonly string[] = [],
): Promise<void> {
  const start = performance.now();
  try {
    await call();
    ctx.ledger.count(kind, 'ok');
  } catch (error) {
    const { outcome, detail } = outcomeOf(error);
    ctx.ledger.count(kind, outcome);
    if (!expected.includes(outcome)) ctx.ledger.unexpected.push(`${kind}: ${detail}`);
  } finally {
    ctx.latency.record(kind, start, performance.now() - start);
  }
}

/** Makes one call of a random kind as `client` in workspace `ws` of the world. */
async function oneCall(
  ctx: TrafficContext,
  client: TrellisClient,
  workspaceIndex: number,
  random: () => number,
): Promise<void> {
  const { ledger } = ctx;
  const workspace = ctx.world.workspaces[workspaceIndex];
  if (!workspace) throw new Error(`no workspace ${workspaceIndex}`);
  const workspaceId = workspace.id;
  let kind = pickKind(random);
  const task = ledger.pick(workspaceId, random);
  // Nothing to read or change yet: make something first.
  if (task === null && ['update', 'comment', 'get', 'comments'].includes(kind)) kind = 'create';
  const known = (): KnownTask => {
    if (task === null) throw new Error(`${kind} without a task`); // ruled out just above
    return task;
  };
  const word = oneOf(WORDS, random);

  switch (kind) {
    case 'create':
      return timed(ctx, kind, async () => {
        const created = await client.tasks.create.mutate({
          projectId: oneOf(workspace.projectIds, random),
          title: `Soak ${word} ${Math.floor(random() * 1e6)}`,
          description: `Made by the soak; mentions ${oneOf(WORDS, random)}.`,
          priority: Math.floor(random() * 5),
          labels: [oneOf(LABELS, random)],
          ...(random() < 0.5 ? { dueAt: new Date(Date.now() + random() * 1e9).toISOString() } : {}),
        });
        ledger.created(created);
      });
    case 'update': {
      const target = known();
      // Always a new title, so every acknowledged update is a real change (a new version).
      return timed(
        ctx,
        kind,
        async () => {
          const updated = await client.tasks.update.mutate({
            taskId: target.id,
            expectedVersion: target.version,
            patch: {
              title: `Soak ${word} edited ${Math.floor(random() * 1e9)}`,
              ...(random() < 0.5 ? { status: oneOf(STATUSES, random) } : {}),
            },
          });
          ledger.updated(updated.id, updated.version);
        },
        // Another worker changed it first: the documented answer to a stale version.
        ['CONFLICT'],
      );
    }
    case 'comment': {
      const target = known();
      return timed(ctx, kind, async () => {
        const comment = await client.comments.create.mutate({
          taskId: target.id,
          body: `Soak comment about ${word}`,
        });
        ledger.commented(target.id, comment.id);
      });
    }
    case 'get': {
      const target = known();
      return timed(ctx, kind, async () => {
        const got = await client.tasks.get.query({ taskId: target.id });
        ledger.seen(got.id, got.version);
      });
    }
    case 'list':
      return timed(ctx, kind, async () => {
        const input = listView(workspaceId, workspace.projectIds, random);
        const first = await client.tasks.list.query(input);
        // The next keyset page, as a client scrolling on would ask for it.
        if (first.nextCursor !== null) {
          await client.tasks.list.query({ ...input, cursor: first.nextCursor });
        }
      });
    case 'search':
      return timed(ctx, kind, async () => {
        await client.search.tasks.query({ workspaceId, q: word, limit: 10 });
      });
    case 'stats':
      return timed(ctx, kind, async () => {
        await client.stats.overview.query({ workspaceId });
      });
    case 'activity':
      return timed(ctx, kind, async () => {
        await client.activity.list.query({
          workspaceId,
          limit: 20,
          ...(task && random() < 0.5 ? { taskId: task.id } : {}),
        });
      });
    case 'members':
      return timed(ctx, kind, async () => {
        await client.members.list.query({ workspaceId });
      });
    case 'comments': {
      const target = known();
      return timed(ctx, kind, async () => {
        await client.comments.list.query({ taskId: target.id, limit: 20 });
      });
    }
    case 'batch':
      // Made in one tick, so the client sends them as one batched HTTP request.
      return timed(ctx, kind, async () => {
        await Promise.all([
          client.stats.overview.query({ workspaceId }),
          client.members.list.query({ workspaceId }),
          client.tasks.list.query({ workspaceId, limit: 5 }),
          client.activity.list.query({ workspaceId, limit: 5 }),
          client.workspaces.get.query({ workspaceId }),
        ]);
      });
  }
}

/**
 * Runs `workers` closed loops until `deadline` (performance.now()); worker i acts as user
 * i mod 4. Resolves when every worker's last call has answered.
 */
export async function runTraffic(
  ctx: TrafficContext,
  { workers, deadline, seed }: { workers: number; deadline: number; seed: number },
): Promise<void> {
  const { users, workspaces } = ctx.world;
  await Promise.all(
    Array.from({ length: workers }, async (_, i) => {
      const user = users[i % users.length];
      if (!user) throw new Error('no users');
      const random = seededRandom(seed + i);
      while (performance.now() < deadline) {
        await oneCall(ctx, user.client, Math.floor(random() * workspaces.length), random);
      }
    }),
  );
}
