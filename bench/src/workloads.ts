import { dataOf, send } from './client.js';
import type { Fixture } from './fixture.js';

/** Which server a request is for. */
export type Target = 'trellis' | 'baseline';

/** One HTTP request of a workload. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** Headers of this request besides the bearer token (e.g. `if-none-match`). */
  headers?: Record<string, string>;
}

/** A kind of traffic, as the same requests to Trellis and to the baseline. */
export interface Workload {
  name: string;
  /** What one request does, for the tables. */
  description: string;
  /** Reads only: `--workers` runs these, and they leave the database as it was. */
  read: boolean;
  /** The rotation of requests (ids, cursors, titles vary) for a target. */
  requests: Record<Target, BenchRequest[]>;
  /** 304 Not Modified counts as an answer (revalidated with If-None-Match). */
  revalidates?: boolean;
}

/** What the workloads are built from. */
export interface WorkloadContext {
  fixture: Fixture;
  /** Cursors of tasks.list pages, from `collectCursors`. */
  cursors: string[];
  /** Trellis's ETags of the dashboard poll's answers, from `pollEtags`. */
  etags: { stats: string; list: string };
}

/** Every workload's name, in the order they run (tasks.create last: it writes). */
export const WORKLOAD_NAMES = [
  'tasks.get',
  'tasks.list',
  'tasks.list.keyset',
  'stats.overview',
  'batch10',
  'dashboard.poll',
  'tasks.create',
] as const;

/** How many distinct requests a workload rotates through. */
const ROTATION = 1000;
const BATCH_SIZE = 10;

const query = (input: unknown) => `input=${encodeURIComponent(JSON.stringify(input))}`;

/** A GET of one query procedure, as tRPC's httpLink sends it and as the baseline takes it. */
function get(path: string, input: unknown): Record<Target, BenchRequest> {
  return {
    trellis: { method: 'GET', path: `/trpc/${path}?${query(input)}` },
    baseline: { method: 'GET', path: `/base/${path}?${query(input)}` },
  };
}

function rotate(count: number, make: (n: number) => Record<Target, BenchRequest>) {
  const made = Array.from({ length: count }, (_, n) => make(n));
  return {
    trellis: made.map((pair) => pair.trellis),
    baseline: made.map((pair) => pair.baseline),
  };
}

/** The tasks.list input every list workload uses: one project, open work, newest first. */
export function listInput(fixture: Fixture, limit = 50) {
  return {
    workspaceId: fixture.workspaceId,
    projectId: fixture.projectId,
    status: ['todo', 'in_progress'],
    sort: 'created',
    order: 'desc',
    limit,
  };
}

/**
 * Walks tasks.list (100 rows a page; a cursor is bound to the filters, not the limit) and
 * returns up to `max` cursors, so that keyset reads land on pages all through the list.
 * `target` says which server's route to walk: the benchmark walks both, so that both
 * have done the same work before they are measured.
 */
export async function collectCursors(
  serverUrl: string,
  token: string,
  fixture: Fixture,
  { target = 'trellis', max = 200 }: { target?: Target; max?: number } = {},
): Promise<string[]> {
  const cursors: string[] = [];
  let cursor: string | undefined;
  const headers = { authorization: `Bearer ${token}` };
  do {
    const input = { ...listInput(fixture, 100), ...(cursor === undefined ? {} : { cursor }) };
    const route = target === 'trellis' ? '/trpc' : '/base';
    const answer = await send(`${serverUrl}${route}/tasks.list?${query(input)}`, { headers });
    const page = dataOf(answer, 'walking tasks.list') as { nextCursor: string | null };
    cursor = page.nextCursor ?? undefined;
    if (cursor !== undefined) cursors.push(cursor);
  } while (cursor !== undefined && cursors.length < max);
  return cursors;
}

/** Every workload, in the order they run (tasks.create last: it is the one that writes). */
export function buildWorkloads({ fixture, cursors, etags }: WorkloadContext): Workload[] {
  const { workspaceId, projectId, taskIds } = fixture;
  const taskId = (n: number) => taskIds[n % taskIds.length] as string;
  const list = listInput(fixture);
  const batchPaths = Array.from({ length: BATCH_SIZE }, () => 'tasks.get').join(',');
  const batchInput = (n: number) =>
    Object.fromEntries(
      Array.from({ length: BATCH_SIZE }, (_, k) => [k, { taskId: taskId(n * BATCH_SIZE + k) }]),
    );
  const created = (n: number) =>
    JSON.stringify({ projectId, title: `Bench task ${n}`, priority: 2, labels: ['bench'] });
  return [
    {
      name: 'tasks.get',
      description: 'one task by id (1,000 ids in rotation)',
      read: true,
      requests: rotate(ROTATION, (n) => get('tasks.get', { taskId: taskId(n) })),
    },
    {
      name: 'tasks.list',
      description: 'first page: 50 open tasks of one project, newest first',
      read: true,
      requests: rotate(1, () => get('tasks.list', list)),
    },
    {
      name: 'tasks.list.keyset',
      description: `a later page of the same list (${cursors.length} cursors in rotation)`,
      read: true,
      requests: rotate(Math.max(cursors.length, 1), (n) =>
        get('tasks.list', cursors.length === 0 ? list : { ...list, cursor: cursors[n] }),
      ),
    },
    {
      name: 'stats.overview',
      description:
        "the workspace's dashboard aggregates (Trellis keeps them in its stats cache while the workspace is unchanged; the baseline computes them)",
      read: true,
      requests: rotate(1, () => get('stats.overview', { workspaceId })),
    },
    {
      name: 'batch10',
      description: '10 tasks.get calls in one batched request',
      read: true,
      requests: rotate(ROTATION / BATCH_SIZE, (n) => ({
        trellis: {
          method: 'GET',
          path: `/trpc/${batchPaths}?batch=1&${query(batchInput(n))}`,
        },
        baseline: {
          method: 'GET',
          path: `/base/batch?paths=${batchPaths}&${query(batchInput(n))}`,
        },
      })),
    },
    {
      name: 'dashboard.poll',
      description:
        'stats.overview and the first tasks.list page in turn, unchanged; Trellis revalidates with If-None-Match (304), the baseline computes and sends them',
      read: true,
      revalidates: true,
      requests: rotate(2, (n) => {
        const pair = n === 0 ? get('stats.overview', { workspaceId }) : get('tasks.list', list);
        const etag = n === 0 ? etags.stats : etags.list;
        return { ...pair, trellis: { ...pair.trellis, headers: { 'if-none-match': etag } } };
      }),
    },
    {
      name: 'tasks.create',
      description: 'a new task with one label (POST)',
      read: false,
      requests: rotate(ROTATION, (n) => ({
        trellis: { method: 'POST', path: '/trpc/tasks.create', body: created(n) },
        baseline: { method: 'POST', path: '/base/tasks.create', body: created(n) },
      })),
    },
  ];
}

/**
 * Trellis's ETags of the dashboard poll's two answers (stats.overview and the first
 * tasks.list page), as a dashboard holds them after its first poll.
 */
export async function pollEtags(
  serverUrl: string,
  token: string,
  fixture: Fixture,
): Promise<{ stats: string; list: string }> {
  const etagOf = async (path: string, input: unknown) => {
    const response = await fetch(`${serverUrl}/trpc/${path}?${query(input)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    const etag = response.headers.get('etag');
    if (response.status !== 200 || etag === null) {
      throw new Error(`${path}: expected 200 with an ETag, got ${response.status}`);
    }
    return etag;
  };
  return {
    stats: await etagOf('stats.overview', { workspaceId: fixture.workspaceId }),
    list: await etagOf('tasks.list', listInput(fixture)),
  };
}

/**
 * The workloads with the dashboard poll revalidating `etags`: taken after anything that
 * writes (the check that both servers answer alike creates a task), so that they are current.
 */
export function withPollEtags(
  workloads: Workload[],
  etags: { stats: string; list: string },
): Workload[] {
  return workloads.map((workload) =>
    workload.name !== 'dashboard.poll'
      ? workload
      : {
          ...workload,
          requests: {
            ...workload.requests,
            trellis: workload.requests.trellis.map((request, n) => ({
              ...request,
              headers: { 'if-none-match': n % 2 === 0 ? etags.stats : etags.list },
            })),
          },
        },
  );
}
